"""Contacts and their per-channel identities, upserted safely under concurrent webhooks."""
from __future__ import annotations

from hub.events import ContactProfile
from hub.models import Contact, ContactIdentity, utcnow


def upsert_contact(company_id: str, channel_id: str, profile: ContactProfile) -> Contact:
    """The contact that `profile` identifies on this channel, created on first sight.

    Two webhooks for a new contact may race: each creates a contact, one identity insert wins
    (unique on channel + external id) and the loser drops its contact and uses the winner's.
    Call inside a transaction.
    """
    identity = (ContactIdentity.select()
                .where((ContactIdentity.channel == channel_id)
                       & (ContactIdentity.external_id == profile.external_id)).first())
    if identity is None:
        contact = Contact.create(company=company_id, name=profile.name or profile.phone
                                 or profile.username or profile.external_id,
                                 phone=profile.phone, avatar=profile.avatar_url, last_seen=utcnow())
        (ContactIdentity.insert(
            id=ContactIdentity._meta.fields["id"].default(), company=company_id, contact=contact.id,
            channel=channel_id, external_id=profile.external_id,
            display_name=profile.name or "", username=profile.username,
            profile={k: v for k, v in vars(profile).items() if v is not None})
            .on_conflict_ignore().execute())
        identity = (ContactIdentity.select()
                    .where((ContactIdentity.channel == channel_id)
                           & (ContactIdentity.external_id == profile.external_id)).get())
        if identity.contact_id != contact.id:  # lost the race
            Contact.delete().where(Contact.id == contact.id).execute()
        return Contact.get_by_id(identity.contact_id)
    contact = Contact.get_by_id(identity.contact_id)
    changes = {}
    if profile.name and identity.display_name != profile.name:
        ContactIdentity.update(display_name=profile.name).where(
            ContactIdentity.id == identity.id).execute()
        if not contact.is_client and contact.name in ("", identity.display_name,
                                                      profile.external_id, contact.phone):
            changes["name"] = profile.name
    if profile.avatar_url and contact.avatar != profile.avatar_url:
        changes["avatar"] = profile.avatar_url
    changes["last_seen"] = utcnow()
    Contact.update(**changes, updated_at=utcnow()).where(Contact.id == contact.id).execute()
    return Contact.get_by_id(contact.id)


def identity_for(contact_id: str, channel_id: str) -> ContactIdentity | None:
    return (ContactIdentity.select()
            .where((ContactIdentity.contact == contact_id) & (ContactIdentity.channel == channel_id))
            .first())
