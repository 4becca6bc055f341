"""Contacts and their per-channel identities, upserted safely under concurrent webhooks."""
from __future__ import annotations

from typing import Optional

from hub.events import ContactProfile
from hub.models import Contact, ContactIdentity, utcnow
from hub.prepared import prepared


def upsert_contact(company_id: str, channel_id: str, profile: ContactProfile, *,
                   created: Optional[list[bool]] = None) -> Contact:
    """The contact that `profile` identifies on this channel, created on first sight.

    Two webhooks for a new contact may race: each creates a contact, one identity insert wins
    (unique on channel + external id) and the loser drops its contact and uses the winner's.
    Call inside a transaction. `created`, if given, gets True appended when this call created
    the contact (the caller then knows it has no conversation yet).

    Statements: a known contact costs one SELECT (identity joined to its contact) and one
    UPDATE ... RETURNING; a new one an INSERT of each row. (It used to be five per message.)
    """
    contact = _known(channel_id, profile.external_id)
    if contact is None:
        contact = Contact.create(company=company_id, name=profile.name or profile.phone
                                 or profile.username or profile.external_id,
                                 phone=profile.phone, avatar=profile.avatar_url, last_seen=utcnow())
        won = list(ContactIdentity.insert(
            id=ContactIdentity._meta.fields["id"].default(), company=company_id, contact=contact.id,
            channel=channel_id, external_id=profile.external_id,
            display_name=profile.name or "", username=profile.username,
            profile={k: v for k, v in vars(profile).items() if v is not None})
            .on_conflict_ignore().returning(ContactIdentity.id).tuples().execute())
        if won:
            if created is not None:
                created.append(True)
            return contact
        # Lost the race: the winner's identity is committed (the unique index waited for it).
        Contact.delete().where(Contact.id == contact.id).execute()
        contact = _known(channel_id, profile.external_id)
        if contact is None:  # cannot happen: the conflicting identity exists
            raise RuntimeError("contact identity vanished during upsert")
    changes: dict = {}
    if profile.name and contact.identity_name != profile.name:
        ContactIdentity.update(display_name=profile.name).where(
            ContactIdentity.id == contact.identity_id).execute()
        if not contact.is_client and contact.name in ("", contact.identity_name,
                                                      profile.external_id, contact.phone):
            changes["name"] = profile.name
    if profile.avatar_url and contact.avatar != profile.avatar_url:
        changes["avatar"] = profile.avatar_url
    now = utcnow()
    names = (*sorted(changes), "last_seen", "updated_at")
    values = {**changes, "last_seen": now, "updated_at": now}
    # RETURNING: the row as written (a concurrent change included), without a second read.
    update = prepared(("contact.touch", names), lambda S: (
        Contact.update({getattr(Contact, n): S(i) for i, n in enumerate(names)})
        .where(Contact.id == S(len(names))).returning(Contact)))
    row = update.first(*(values[n] for n in names), contact.id)
    return row if row is not None else Contact.get_by_id(contact.id)


def _known(channel_id: str, external_id: str) -> Optional[Contact]:
    """The contact of an identity, with `identity_id` and `identity_name`, in one SELECT."""
    return prepared("contact.known", lambda S: (
        Contact.select(Contact, ContactIdentity.id.alias("identity_id"),
                       ContactIdentity.display_name.alias("identity_name"))
        .join(ContactIdentity, on=(ContactIdentity.contact == Contact.id))
        .where((ContactIdentity.channel == S(0)) & (ContactIdentity.external_id == S(1)))
        .objects().limit(1))).first(channel_id, external_id)


def identity_for(contact_id: str, channel_id: str) -> ContactIdentity | None:
    return (ContactIdentity.select()
            .where((ContactIdentity.contact == contact_id) & (ContactIdentity.channel == channel_id))
            .first())
