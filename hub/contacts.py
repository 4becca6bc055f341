"""Contacts and their per-channel identities, upserted safely under concurrent webhooks."""
from __future__ import annotations

from typing import Optional

from hub.events import ContactProfile
from hub.models import Contact, ContactIdentity, new_id, utcnow
from hub.prepared import prepared


def upsert_contact(company_id: str, channel_id: str, profile: ContactProfile, *,
                   created: Optional[list[bool]] = None) -> Contact:
    """The contact that `profile` identifies on this channel, created on first sight.

    Two webhooks for a new contact may race: each creates a contact, one identity insert wins
    (unique on channel + external id) and the loser drops its contact and uses the winner's.
    Call inside a transaction. `created`, if given, gets True appended when this call created
    the contact (the caller then knows it has no conversation yet).

    Statements: a known contact costs one UPDATE ... RETURNING (its last_seen, and the
    identity's id and name read by the same statement); a new one that UPDATE (no row) and a
    prepared INSERT of each row. A changed profile name or avatar costs an UPDATE more (and
    one of the identity). (It used to be five per message, then a SELECT and an UPDATE.)
    """
    now = utcnow()
    contact = _touch_known(channel_id, profile.external_id, now)
    if contact is None:
        contact = _insert_contact(company_id, profile, now)
        if _insert_identity(company_id, contact.id, channel_id, profile, now):
            if created is not None:
                created.append(True)
            return contact
        # Lost the race: the winner's identity is committed (the unique index waited for it).
        Contact.delete().where(Contact.id == contact.id).execute()
        contact = _touch_known(channel_id, profile.external_id, now)
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
    if not changes:
        return contact
    names = tuple(sorted(changes))
    # RETURNING: the row as written (a concurrent change included), without a second read.
    update = prepared(("contact.change", names), lambda S: (
        Contact.update({getattr(Contact, n): S(i) for i, n in enumerate(names)})
        .where(Contact.id == S(len(names))).returning(Contact)))
    row = update.first(*(changes[n] for n in names), contact.id)
    return row if row is not None else Contact.get_by_id(contact.id)


def _insert_contact(company_id: str, profile: ContactProfile, now) -> Contact:
    """A new contact, as its INSERT ... RETURNING wrote it.

    Prepared, like the other statements of an inbound message: peewee building this INSERT
    (and the identity's) for every new contact cost about 0.13 ms of CPU each.
    """
    insert = prepared("contact.insert", lambda S: (
        Contact.insert(id=S(0), company=S(1), name=S(2), phone=S(3), avatar=S(4),
                       last_seen=S(5), created_at=S(5), updated_at=S(5), tags=S(6),
                       custom_fields=S(7)).returning(Contact)))
    return insert.first(new_id(), company_id, profile.name or profile.phone or profile.username
                        or profile.external_id, profile.phone, profile.avatar_url, now,
                        Contact.tags.db_value([]), Contact.custom_fields.db_value({}))


def _insert_identity(company_id: str, contact_id: str, channel_id: str,
                     profile: ContactProfile, now) -> bool:
    """The contact's identity on this channel; False if another transaction inserted it first
    (unique on channel + external id)."""
    insert = prepared("contact_identity.insert", lambda S: (
        ContactIdentity.insert(id=S(0), company=S(1), contact=S(2), channel=S(3),
                               external_id=S(4), display_name=S(5), username=S(6), profile=S(7),
                               created_at=S(8))
        .on_conflict_ignore().returning(ContactIdentity.id)))
    return insert.first(new_id(), company_id, contact_id, channel_id, profile.external_id,
                        profile.name or "", profile.username,
                        ContactIdentity.profile.db_value(
                            {k: v for k, v in vars(profile).items() if v is not None}),
                        now) is not None


def _touch_known(channel_id: str, external_id: str, now) -> Optional[Contact]:
    """The contact of an identity with its last_seen (and updated_at) set to `now`, in one
    UPDATE ... RETURNING; with `identity_id` and `identity_name` (None: no such identity).

    The identity is looked up by subqueries (in WHERE and RETURNING): SQLite's RETURNING may
    not name a table of UPDATE ... FROM. Each is a probe of the unique (channel, external id)
    index.
    """
    def build(S):
        def identity(column):
            return ContactIdentity.select(column).where(
                (ContactIdentity.channel == S(0)) & (ContactIdentity.external_id == S(1)))

        return (Contact.update({Contact.last_seen: S(2), Contact.updated_at: S(2)})
                .where(Contact.id == identity(ContactIdentity.contact))
                .returning(Contact, identity(ContactIdentity.id).alias("identity_id"),
                           identity(ContactIdentity.display_name).alias("identity_name"))
                .objects())

    return prepared("contact.touch_known", build).first(channel_id, external_id, now)


def identity_for(contact_id: str, channel_id: str) -> ContactIdentity | None:
    return (ContactIdentity.select()
            .where((ContactIdentity.contact == contact_id) & (ContactIdentity.channel == channel_id))
            .first())
