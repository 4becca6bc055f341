"""Prospects and clients as the socket requests need them: conversion and notes.

Kept small and self-contained: the contacts API of the CRM lane may grow its own service; both
write the same columns and publish the same `contact.updated` event.
"""
from __future__ import annotations

from typing import Any

from hub.audit import record
from hub.auth import Principal
from hub.db import transaction
from hub.errors import Conflict, ValidationError
from hub.models import ClientNote, Contact, utcnow
from hub.realtime import publish_after_commit
from hub.scoping import get_scoped

# Fields a conversion may set, from the client's camelCase names to the columns.
CONVERSION_FIELDS = {"firstName": "first_name", "lastName": "last_name", "email": "email",
                     "phone": "phone", "company": "company_name", "tags": "tags"}
MAX_NOTE_LENGTH = 10_000


def contact_dict(c: Contact) -> dict[str, Any]:
    return {"id": c.id, "name": c.name, "firstName": c.first_name, "lastName": c.last_name,
            "email": c.email, "phone": c.phone, "company": c.company_name, "avatar": c.avatar,
            "isClient": c.is_client, "clientId": c.id if c.is_client else None,
            "status": c.client_status, "tags": c.tags or [],
            "totalValue": float(c.total_value or 0),
            "convertedAt": c.converted_at.isoformat() + "Z" if c.converted_at else None,
            "createdAt": c.created_at.isoformat() + "Z", "updatedAt": c.updated_at.isoformat() + "Z"}


def _clean_fields(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(fields) - set(CONVERSION_FIELDS))
    if unknown:
        raise ValidationError("unknown fields", details={k: ["unknown field"] for k in unknown})
    changes: dict[str, Any] = {}
    for name, column in CONVERSION_FIELDS.items():
        if name not in fields:
            continue
        value = fields[name]
        if name == "tags":
            if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
                raise ValidationError("invalid tags", details={"tags": ["a list of strings"]})
        elif value is not None and (not isinstance(value, str) or len(value) > 200):
            raise ValidationError("invalid field", details={name: ["a string up to 200"]})
        changes[column] = value
    return changes


def convert_prospect(principal: Principal, contact_id: str, fields: dict[str, Any]) -> Contact:
    """Turn a prospect into a client (409 if it already is one); publishes `contact.updated`."""
    principal.require_role("admin", "support")
    changes = _clean_fields(fields or {})
    with transaction():
        contact = get_scoped(Contact, contact_id, principal.company_id)
        if contact.is_client:
            raise Conflict("this contact is already a client", code="already_client")
        now = utcnow()
        changes.update(is_client=True, converted_at=now, updated_at=now)
        first, last = changes.get("first_name"), changes.get("last_name")
        if (first or last) and not contact.name:
            changes["name"] = " ".join(p for p in (first, last) if p)
        Contact.update(**changes).where(Contact.id == contact.id).execute()
        record(principal, "contact.converted", "contact", contact.id)
        row = Contact.get_by_id(contact.id)
        publish_after_commit(principal.company_id, "contact.updated", contact_dict(row))
    return row


def add_client_note(principal: Principal, contact_id: str, content: str) -> ClientNote:
    """Add a note to a contact; publishes `contact.updated` so open panels refresh."""
    principal.require_role("admin", "support")
    if not isinstance(content, str) or not content.strip() or len(content) > MAX_NOTE_LENGTH:
        raise ValidationError("a note needs content", details={"content": ["1 to 10000 characters"]})
    with transaction():
        contact = get_scoped(Contact, contact_id, principal.company_id)
        note = ClientNote.create(company=principal.company_id, contact=contact.id,
                                 author=principal.user_id, content=content.strip())
        record(principal, "contact.note_added", "contact", contact.id, {"noteId": note.id})
        publish_after_commit(principal.company_id, "contact.updated", contact_dict(contact))
    return note
