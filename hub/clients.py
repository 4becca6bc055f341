"""Contacts as the CRM sees them: list and search, edit, and prospect-to-client conversion."""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Optional

import peewee

from hub.audit import record
from hub.auth import Principal
from hub.crm_presenters import contact_dict, note_dict
from hub.db import transaction
from hub.errors import Conflict, NotFound
from hub.models import Channel, ClientNote, Contact, ContactIdentity, Quote, User, utcnow
from hub.paging import icontains, paginate
from hub.realtime import publish_after_commit
from hub.scoping import scoped

# Roles that work contacts; the `user` role only reads its own threads.
CRM_ROLES = ("admin", "support")


def live_contacts(company_id: str) -> peewee.ModelSelect:
    """The company's contacts that have not been erased."""
    return scoped(Contact, company_id).where(Contact.erased_at.is_null())


def get_contact(principal: Principal, contact_id: str) -> Contact:
    """A live contact of the caller's company, or 404 (also for another company's id)."""
    principal.require_role(*CRM_ROLES)
    if not contact_id or len(contact_id) > 64:
        raise NotFound("contact not found")
    row = live_contacts(principal.company_id).where(Contact.id == contact_id).first()
    if row is None:
        raise NotFound("contact not found")
    return row


def identities_of(contact_ids: list[str]) -> dict[str, list[tuple[ContactIdentity, Channel]]]:
    """Each contact's channel identities with their channel, oldest first."""
    found: dict[str, list[tuple[ContactIdentity, Channel]]] = defaultdict(list)
    if not contact_ids:
        return found
    rows = (ContactIdentity.select(ContactIdentity, Channel).join(Channel)
            .where(ContactIdentity.contact.in_(contact_ids))
            .order_by(ContactIdentity.created_at, ContactIdentity.id))
    for identity in rows:
        found[identity.contact_id].append((identity, identity.channel))
    return found


def search(principal: Principal, *, type: Optional[str], q: Optional[str], page: int,
           limit: int) -> tuple[list[dict[str, Any]], int]:
    """Contacts of the company by type and text (names, email, phone, channel handles)."""
    principal.require_role(*CRM_ROLES)
    query = live_contacts(principal.company_id)
    if type == "client":
        query = query.where(Contact.is_client == True)  # noqa: E712
    elif type == "prospect":
        query = query.where(Contact.is_client == False)  # noqa: E712
    if q:
        handles = (ContactIdentity.select(ContactIdentity.contact)
                   .where((ContactIdentity.company == principal.company_id)
                          & (icontains(ContactIdentity.external_id, q)
                             | icontains(ContactIdentity.username, q)
                             | icontains(ContactIdentity.display_name, q))))
        query = query.where(icontains(Contact.name, q) | icontains(Contact.email, q)
                            | icontains(Contact.phone, q) | icontains(Contact.first_name, q)
                            | icontains(Contact.last_name, q)
                            | icontains(Contact.company_name, q) | Contact.id.in_(handles))
    query = query.order_by(Contact.updated_at.desc(), Contact.id.desc())
    rows, total = paginate(query, page, limit)
    identities = identities_of([r.id for r in rows])
    return [contact_dict(r, identities[r.id]) for r in rows], total


def notes_of(contact_id: str) -> list[dict[str, Any]]:
    """The contact's notes, newest first, with their author's name."""
    rows = (ClientNote.select(ClientNote, User.name).join(User, peewee.JOIN.LEFT_OUTER)
            .where(ClientNote.contact == contact_id)
            .order_by(ClientNote.created_at.desc(), ClientNote.id.desc()))
    return [note_dict(n, n.author.name if n.author_id else None) for n in rows]


def quotes_of(contact_id: str) -> list[Quote]:
    return list(Quote.select().where(Quote.contact == contact_id)
                .order_by(Quote.created_at.desc(), Quote.id.desc()))


def detail(contact: Contact) -> dict[str, Any]:
    """The full contact: identities, notes (newest first) and quotes."""
    return contact_dict(contact, identities_of([contact.id])[contact.id],
                        notes=notes_of(contact.id), quotes=quotes_of(contact.id))


def publish_contact(contact_id: str) -> None:
    """Send `contact.updated` with the contact's summary once the transaction commits."""
    contact = Contact.get_by_id(contact_id)
    publish_after_commit(contact.company_id, "contact.updated",
                         contact_dict(contact, identities_of([contact.id])[contact.id]))


def update_contact(principal: Principal, contact_id: str, changes: dict[str, Any]) -> Contact:
    with transaction():
        contact = get_contact(principal, contact_id)
        if changes:
            Contact.update(**changes, updated_at=utcnow()).where(Contact.id == contact.id).execute()
            record(principal, "contact.updated", "contact", contact.id, {"fields": sorted(changes)})
            publish_contact(contact.id)
        return Contact.get_by_id(contact.id)


def convert(principal: Principal, contact_id: str, *, first_name: str, last_name: str = "",
            email: Optional[str] = None, phone: Optional[str] = None,
            company_name: str = "") -> Contact:
    """Turn a prospect into a client; 409 if it already is one (also under a race)."""
    with transaction():
        contact = get_contact(principal, contact_id)
        now = utcnow()
        changes: dict[str, Any] = dict(is_client=True, first_name=first_name, last_name=last_name,
                                       company_name=company_name, converted_at=now,
                                       updated_at=now, client_status="active",
                                       name=f"{first_name} {last_name}".strip())
        if email is not None:
            changes["email"] = email
        if phone is not None:
            changes["phone"] = phone
        # The condition on is_client makes two parallel conversions convert once.
        converted = (Contact.update(**changes)
                     .where((Contact.id == contact.id) & (Contact.is_client == False))  # noqa: E712
                     .execute())
        if not converted:
            raise Conflict("the contact is already a client", code="already_client")
        record(principal, "contact.converted", "contact", contact.id,
               {"firstName": first_name, "lastName": last_name})
        publish_contact(contact.id)
        return Contact.get_by_id(contact.id)
