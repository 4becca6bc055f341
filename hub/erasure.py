"""Right to be forgotten: erase one contact's personal data from every place the hub keeps it.

"Everywhere" means: the contact's fields; its channel identities (names, usernames, profiles,
and the provider id itself, so a new message starts a new contact); the text, payload and sender
name of every message in its conversations, agents' replies included (they quote and name the
customer); attachment rows and files; conversation subjects and previews; notes about it; raw
webhook bodies that carry its provider ids; and archived months, whose parts are rewritten.
Kept on purpose: message metadata (times, directions, statuses) for analytics, quotes (business
records, their title scrubbed), and the audit log entry recording the erasure.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from hub.archive_files import encode, read_part, sha256_of, write_bytes_durably
from hub.db import transaction
from hub.errors import NotFound
from hub.models import (ArchiveManifest, Attachment, AuditLog, ClientNote, Contact,
                        ContactIdentity, Conversation, Message, Quote, WebhookEvent, utcnow)
from hub.settings import get_settings

# What an erased message's text becomes.
ERASED_TEXT = ""


def erase_contact(contact_id: str, actor: str = "system") -> dict[str, int]:
    """Erase a contact's personal data (see the module docstring); returns what was touched."""
    settings = get_settings()
    contact = Contact.get_or_none(Contact.id == contact_id)
    if contact is None:
        raise NotFound("contact not found")
    conv_ids = [c for (c,) in Conversation.select(Conversation.id)
                .where(Conversation.contact == contact).tuples()]
    identities = list(ContactIdentity.select().where(ContactIdentity.contact == contact))
    files: list[Path] = []
    now = utcnow()
    counts: dict[str, Any] = {"conversations": len(conv_ids), "identities": len(identities)}
    with transaction():
        counts["webhookEvents"] = 0
        for identity in identities:
            # Raw bodies quoting the provider id hold names, numbers and texts too.
            counts["webhookEvents"] += (WebhookEvent.update(body="{}", headers={})
                                        .where(WebhookEvent.channel == identity.channel_id,
                                               WebhookEvent.body.contains(identity.external_id))
                                        .execute())
            identity.external_id = f"erased-{identity.id}"
            identity.display_name, identity.username, identity.profile = "", None, {}
            identity.save()
        for a in Attachment.select().join(Message).where(Message.conversation.in_(conv_ids)):
            files += [settings.attachments_dir / p for p in (a.storage_path, a.thumbnail_path) if p]
        counts["attachments"] = (Attachment.delete().where(Attachment.message.in_(
            Message.select(Message.id).where(Message.conversation.in_(conv_ids)))).execute())
        counts["messages"] = (Message.update(content=ERASED_TEXT, payload={}, sender_name=None)
                              .where(Message.conversation.in_(conv_ids)).execute())
        Conversation.update(subject=None, last_message_preview="").where(
            Conversation.id.in_(conv_ids)).execute()
        counts["notes"] = ClientNote.delete().where(ClientNote.contact == contact).execute()
        Quote.update(title="(erased)").where(Quote.contact == contact).execute()
        Contact.update(name="", email=None, phone=None, avatar=None, first_name="", last_name="",
                       company_name="", tags=[], custom_fields={}, external_user_id=None,
                       erased_at=now, updated_at=now).where(Contact.id == contact.id).execute()
        counts["archiveParts"] = _scrub_archives(contact.company_id, set(conv_ids))
        AuditLog.create(company=contact.company_id, actor=actor, action="contact.erased",
                        target_type="contact", target_id=contact.id, details=counts)
    for path in files:
        path.unlink(missing_ok=True)
    return counts


def _scrub_archives(company_id: str, conv_ids: set[str]) -> int:
    """Rewrite archived parts holding the contact's conversations; returns parts rewritten."""
    rewritten = 0
    for manifest in ArchiveManifest.select().where(ArchiveManifest.company == company_id):
        path = Path(manifest.path)
        records = read_part(path, manifest.sha256)
        touched = False
        for record in records:
            if record["message"]["conversation"] in conv_ids:
                record["message"].update(content=ERASED_TEXT, payload={}, sender_name=None)
                record["attachments"] = []
                touched = True
        if touched:
            write_bytes_durably(path, encode(records))
            manifest.sha256 = sha256_of(path)
            manifest.attachment_count = sum(len(r["attachments"]) for r in records)
            manifest.save()
            rewritten += 1
            from hub.archiving import rewrite_manifest

            rewrite_manifest(company_id, manifest.month)
    return rewritten
