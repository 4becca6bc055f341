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

    Statements: a known contact costs one UPDATE ... RETURNING (its last_seen, and the
    identity's id and name read by the same statement); a new one that UPDATE (no row) and an
    INSERT of each row. A changed profile name or avatar costs an UPDATE more (and one of the
    identity). (It used to be five per message, then a SELECT and an UPDATE.)
    """
    now = utcnow()
    contact = _touch_known(channel_id, profile.external_id, now)
    if contact is None:
        contact = Contact.create(company=company_id, name=profile.name or profile.phone
                                 or profile.username or profile.external_id,
                                 phone=profile.phone, avatar=profile.avatar_url, last_seen=now)
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
