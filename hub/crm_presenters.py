"""The JSON shapes of contacts (Prospect and Client of the documents), notes and quotes.

REST answers and `contact.updated` realtime events use the same dicts.
"""
from __future__ import annotations

from typing import Any, Iterable, Optional

from hub.models import Channel, ClientNote, Contact, ContactIdentity, Quote
from hub.presenters import iso


def identifier_of(contact: Contact, identities: list[tuple[ContactIdentity, Channel]]
                  ) -> tuple[str, str]:
    """(identifier, identifierType): phone, else email, else the first social handle."""
    if contact.phone:
        return contact.phone, "phone"
    if contact.email:
        return contact.email, "email"
    for identity, _ in identities:
        return identity.username or identity.external_id, "social"
    return contact.id, "social"


def identity_dict(identity: ContactIdentity, channel: Channel) -> dict[str, Any]:
    return {"id": identity.id, "channelId": channel.id, "platform": channel.kind,
            "channelName": channel.name, "externalId": identity.external_id,
            "displayName": identity.display_name, "username": identity.username,
            "createdAt": iso(identity.created_at)}


def note_dict(note: ClientNote, author_name: Optional[str] = None) -> dict[str, Any]:
    return {"id": note.id, "contactId": note.contact_id, "content": note.content,
            "authorId": note.author_id, "authorName": author_name,
            "createdAt": iso(note.created_at)}


def quote_dict(quote: Quote) -> dict[str, Any]:
    return {"id": quote.id, "contactId": quote.contact_id, "title": quote.title,
            "amount": float(quote.amount), "currency": quote.currency, "status": quote.status,
            "validUntil": quote.valid_until.isoformat() if quote.valid_until else None,
            "authorId": quote.author_id, "createdAt": iso(quote.created_at),
            "updatedAt": iso(quote.updated_at)}


def contact_dict(contact: Contact, identities: list[tuple[ContactIdentity, Channel]],
                 notes: Optional[Iterable[dict[str, Any]]] = None,
                 quotes: Optional[Iterable[Quote]] = None) -> dict[str, Any]:
    """Prospect and Client fields in one object; notes and quotes only when given (detail)."""
    identifier, identifier_type = identifier_of(contact, identities)
    body: dict[str, Any] = {
        "id": contact.id,
        "type": "client" if contact.is_client else "prospect",
        # Prospect
        "identifier": identifier,
        "identifierType": identifier_type,
        "name": contact.name,
        "avatar": contact.avatar,
        "platform": identities[0][1].kind if identities else None,
        "isClient": contact.is_client,
        "clientId": contact.id if contact.is_client else None,
        "lastSeen": iso(contact.last_seen),
        # Client
        "firstName": contact.first_name,
        "lastName": contact.last_name,
        "email": contact.email,
        "phone": contact.phone,
        "company": contact.company_name,
        "status": contact.client_status,
        "tags": list(contact.tags or []),
        "totalValue": float(contact.total_value or 0),
        "customFields": dict(contact.custom_fields or {}),
        "identities": [identity_dict(i, c) for i, c in identities],
        "convertedAt": iso(contact.converted_at),
        "createdAt": iso(contact.created_at),
        "updatedAt": iso(contact.updated_at),
    }
    if notes is not None:
        body["notes"] = list(notes)
    if quotes is not None:
        body["quotes"] = [quote_dict(q) for q in quotes]
    return body
