"""A contact's notes and quotes; the contact's total value follows its accepted quotes."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import peewee

from hub.audit import record
from hub.auth import Principal
from hub.clients import get_contact, notes_of, publish_contact, quotes_of
from hub.db import transaction
from hub.errors import Forbidden, NotFound
from hub.models import ClientNote, Contact, Quote, utcnow
from hub.scoping import scoped


def list_notes(principal: Principal, contact_id: str) -> list[dict[str, Any]]:
    """The contact's notes (JSON dicts), newest first."""
    return notes_of(get_contact(principal, contact_id).id)


def add_note(principal: Principal, contact_id: str, content: str) -> ClientNote:
    with transaction():
        contact = get_contact(principal, contact_id)
        note = ClientNote.create(company=principal.company_id, contact=contact.id,
                                 author=principal.user_id, content=content)
        record(principal, "note.created", "contact", contact.id, {"noteId": note.id})
    return note


def delete_note(principal: Principal, contact_id: str, note_id: str) -> None:
    """Delete a note: its author or an admin (403 otherwise); 404 if not this contact's."""
    with transaction():
        contact = get_contact(principal, contact_id)
        note = scoped(ClientNote, principal.company_id).where(
            (ClientNote.id == note_id) & (ClientNote.contact == contact.id)).first()
        if note is None:
            raise NotFound("note not found")
        if note.author_id != principal.user_id and not principal.is_admin:
            raise Forbidden("only the note's author or an admin may delete it")
        ClientNote.delete().where(ClientNote.id == note.id).execute()
        record(principal, "note.deleted", "contact", contact.id, {"noteId": note.id})


def list_quotes(principal: Principal, contact_id: str) -> list[Quote]:
    return quotes_of(get_contact(principal, contact_id).id)


def add_quote(principal: Principal, contact_id: str, fields: dict[str, Any]) -> Quote:
    with transaction():
        contact = get_contact(principal, contact_id)
        now = utcnow()
        quote = Quote.create(company=principal.company_id, contact=contact.id,
                             author=principal.user_id, created_at=now, updated_at=now, **fields)
        record(principal, "quote.created", "contact", contact.id,
               {"quoteId": quote.id, "status": quote.status})
        _refresh_total(contact.id)
    return Quote.get_by_id(quote.id)


def update_quote(principal: Principal, contact_id: str, quote_id: str,
                 changes: dict[str, Any]) -> Quote:
    with transaction():
        contact = get_contact(principal, contact_id)
        quote = scoped(Quote, principal.company_id).where(
            (Quote.id == quote_id) & (Quote.contact == contact.id)).first()
        if quote is None:
            raise NotFound("quote not found")
        if changes:
            Quote.update(**changes, updated_at=utcnow()).where(Quote.id == quote.id).execute()
            record(principal, "quote.updated", "contact", contact.id,
                   {"quoteId": quote.id, "fields": sorted(changes)})
            _refresh_total(contact.id)
    return Quote.get_by_id(quote.id)


def _refresh_total(contact_id: str) -> None:
    """Store the sum of accepted quotes as the contact's total value; publish if it moved."""
    total = (Quote.select(peewee.fn.COALESCE(peewee.fn.SUM(Quote.amount), 0))
             .where((Quote.contact == contact_id) & (Quote.status == "accepted")).scalar())
    total = Decimal(str(total or 0)).quantize(Decimal("0.01"))
    moved = (Contact.update(total_value=total, updated_at=utcnow())
             .where((Contact.id == contact_id) & (Contact.total_value != total)).execute())
    if moved:
        publish_contact(contact_id)
