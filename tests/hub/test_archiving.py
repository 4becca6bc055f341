"""Archiving idle conversations; retention to verified archive files; restore; erasure."""
from __future__ import annotations

import gzip
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from hub import archive_files, archiving
from hub import db as hubdb
from hub.messages import find_message
from hub.models import (ArchiveManifest, Attachment, AuditLog, Company, Contact, ContactIdentity,
                        Conversation, Message, MessagePart, WebhookEvent)
from hub.redis_client import get_redis
from hub.realtime import history_key
from tests.hub.builders import channel, contact, conversation, message

NOW = datetime(2024, 6, 15, 3, 0)


def set_settings(company, **values):
    with hubdb.db.connection_context():
        Company.update(settings=values).where(Company.id == company.id).execute()


def count(model, *where):
    with hubdb.db.connection_context():
        return model.select().where(*where).count() if where else model.select().count()


def test_idle_closed_conversations_become_archived(tenant):
    # Given archiveAfterDays = 7, one closed conversation idle 10 days, one closed 2 days ago
    set_settings(tenant.company, archiveAfterDays=7)
    ch = channel(tenant.company)
    old = conversation(tenant.company, ch, contact(tenant.company), NOW - timedelta(days=12),
                       status="closed", updated_at=NOW - timedelta(days=10),
                       last_message_at=NOW - timedelta(days=10))
    recent = conversation(tenant.company, ch, contact(tenant.company), NOW - timedelta(days=3),
                          status="closed", updated_at=NOW - timedelta(days=2))
    # When archiving runs
    with hubdb.db.connection_context():
        assert archiving.archive_idle(NOW) == 1
    # Expect only the idle one archived, and the inbox told so
    with hubdb.db.connection_context():
        assert Conversation.get_by_id(old.id).status == "archived"
        assert Conversation.get_by_id(recent.id).status == "closed"
    events = [json.loads(e[b"event"]) for _, e in get_redis().xrange(history_key(tenant.company.id))]
    assert [(e["type"], e["data"]["id"]) for e in events] == [("conversation.updated", old.id)]


def _old_thread(tenant, settings):
    """A March thread with an attachment file, and a June message that must stay."""
    set_settings(tenant.company, retentionDays=60)
    ch = channel(tenant.company)
    conv = conversation(tenant.company, ch, contact(tenant.company, ch), datetime(2024, 3, 1))
    first = message(conv, datetime(2024, 3, 1, 10), content="my order 42")
    message(conv, datetime(2024, 3, 2, 10), "agent", content="on its way", reply_to=first)
    keep = message(conv, datetime(2024, 6, 10), content="thanks")
    rel = f"{tenant.company.id}/photo.jpg"
    (settings.attachments_dir / tenant.company.id).mkdir(parents=True, exist_ok=True)
    (settings.attachments_dir / rel).write_bytes(b"\xff\xd8jpeg-bytes")
    with hubdb.db.connection_context():
        Attachment.create(company=tenant.company, message=first, name="photo.jpg",
                          storage_path=rel, size=12, kind="image")
    return conv, first, keep, settings.attachments_dir / rel


def test_retention_archives_then_restore_brings_month_back(tenant, settings):
    # Given a 60-day retention and two March messages (one with a file), one June message
    conv, first, keep, file = _old_thread(tenant, settings)
    # When retention runs (twice: the second run finds nothing to do)
    with hubdb.db.connection_context():
        assert archiving.run_retention(now=NOW) == {tenant.company.id: 2}
        assert archiving.run_retention(now=NOW) == {}
    # Expect March gone from the hot tables, the file moved, a verified archive and manifest
    assert count(Message) == 1 and count(Attachment) == 0 and not file.exists()
    with hubdb.db.connection_context():
        manifest = ArchiveManifest.get()
    part = Path(manifest.path)
    assert part.name == "messages-1.jsonl.gz" and manifest.month == "2024-03"
    assert manifest.message_count == 2 and manifest.attachment_count == 1
    assert archive_files.sha256_of(part) == manifest.sha256
    summary = json.loads((part.parent / "manifest.json").read_text())
    assert summary["messages"] == 2 and summary["parts"][0]["sha256"] == manifest.sha256
    assert len(gzip.decompress(part.read_bytes()).splitlines()) == 2
    # When the month is restored twice
    with hubdb.db.connection_context():
        assert archiving.restore_month(tenant.company.id, "2024-03")["messages"] == 2
        assert archiving.restore_month(tenant.company.id, "2024-03")["messages"] == 0
    # Expect the thread whole again, reply link and attachment file included
    with hubdb.db.connection_context():
        texts = [m.content for m in Message.select().order_by(Message.timestamp)]
        assert texts == ["my order 42", "on its way", "thanks"]
        assert Message.get(Message.content == "on its way").reply_to_id == first.id
    assert count(Attachment) == 1 and file.read_bytes() == b"\xff\xd8jpeg-bytes"
    # And the next retention run leaves the restored month alone
    with hubdb.db.connection_context():
        archiving.run_retention(now=NOW)
    assert count(Message) == 3


def test_a_restored_message_is_found_again_by_the_ids_of_its_later_parts(tenant, settings):
    # Given a March message we sent as two provider messages (text, then a voice note)
    set_settings(tenant.company, retentionDays=60)
    ch = channel(tenant.company)
    conv = conversation(tenant.company, ch, contact(tenant.company, ch), datetime(2024, 3, 1))
    sent = message(conv, datetime(2024, 3, 1, 10), "agent", content="here is the note",
                   provider_message_id="wamid.TEXT")
    with hubdb.db.connection_context():
        MessagePart.create(channel=ch.id, provider_message_id="wamid.VOICE", message=sent.id)
    # When retention archives the month (the part goes with its message) and it is restored
    with hubdb.db.connection_context():
        assert archiving.run_retention(now=NOW) == {tenant.company.id: 1}
    assert count(MessagePart) == 0
    with hubdb.db.connection_context():
        assert archiving.restore_month(tenant.company.id, "2024-03")["messages"] == 1
        assert archiving.restore_month(tenant.company.id, "2024-03")["messages"] == 0
    # Expect a status or reaction for the voice note to find the message again, once
    assert count(MessagePart) == 1
    with hubdb.db.connection_context():
        assert find_message(ch.id, "wamid.VOICE").id == sent.id
        assert find_message(ch.id, "wamid.TEXT").id == sent.id


def test_corrupted_archive_write_deletes_nothing(tenant, settings, monkeypatch):
    # Given a disk that corrupts what is written
    conv, first, keep, file = _old_thread(tenant, settings)
    real = archive_files.write_bytes_durably

    def corrupting(path, data):
        real(path, data[: len(data) // 2])

    monkeypatch.setattr(archiving, "write_bytes_durably", corrupting)
    # When retention runs
    with hubdb.db.connection_context(), pytest.raises(archive_files.ArchiveError):
        archiving.run_retention(now=NOW)
    # Expect every message, attachment and file still there, and no manifest claimed
    assert count(Message) == 3 and count(Attachment) == 1 and file.exists()
    assert count(ArchiveManifest) == 0


def test_crash_between_archive_and_delete_is_finished_without_duplicates(tenant, settings,
                                                                         monkeypatch):
    # Given a run that dies right after committing the manifest, before deleting
    _old_thread(tenant, settings)
    monkeypatch.setattr(archiving, "_delete_hot", lambda ids: (_ for _ in ()).throw(SystemExit))
    with hubdb.db.connection_context(), pytest.raises(SystemExit):
        archiving.run_retention(now=NOW)
    assert count(Message) == 3 and count(ArchiveManifest) == 1
    monkeypatch.undo()
    # When the job runs again
    with hubdb.db.connection_context():
        archiving.run_retention(now=NOW)
    # Expect the rows deleted and still one part holding each message once
    assert count(Message) == 1 and count(ArchiveManifest) == 1


def test_erase_contact_removes_personal_data_everywhere(tenant, settings):
    # Given a contact with an identity, an archived month, a live thread, a raw webhook and a file
    conv, first, keep, file = _old_thread(tenant, settings)
    with hubdb.db.connection_context():
        identity = ContactIdentity.get()
        who = Contact.get_by_id(identity.contact_id)
        Contact.update(email="jane@example.com", phone="+33600000000").execute()
        WebhookEvent.create(company=tenant.company, channel=identity.channel_id, kind="whatsapp",
                            dedupe_key="w1", body=json.dumps({"from": identity.external_id,
                                                              "text": "my order 42"}))
        archiving.run_retention(company_id=tenant.company.id,
                                now=datetime(2024, 5, 2))  # 60 days: archives 1-2 March
    # When the contact is erased
    with hubdb.db.connection_context():
        counts = archiving.erase_contact(who.id, actor="dpo@example.com")
    # Expect no name, email, phone, texts, raw body or archived text left; an audit entry
    with hubdb.db.connection_context():
        who = Contact.get_by_id(who.id)
        assert (who.name, who.email, who.phone) == ("", None, None) and who.erased_at
        identity = ContactIdentity.get_by_id(identity.id)
        assert identity.display_name == "" and identity.external_id.startswith("erased-")
        assert {m.content for m in Message.select()} == {""}
        assert WebhookEvent.get().body == "{}"
        entry = AuditLog.get(AuditLog.action == "contact.erased")
        assert entry.actor == "dpo@example.com" and entry.target_id == who.id
        manifest = ArchiveManifest.get()
    records = archive_files.read_part(Path(manifest.path), manifest.sha256)
    assert {r["message"]["content"] for r in records} == {""}
    assert not file.exists() and counts["archiveParts"] == 1
