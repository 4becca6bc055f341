"""Every fixture of every connector through the signed endpoint and a real worker.

The table below says what each fixture must leave in the database; a fixture without an
expectation fails, so a new fixture cannot slip in untested.
"""
from __future__ import annotations

import json
from datetime import datetime

import pytest

from connectors.registry import get_connector
from hub import db as hubdb
from hub.contacts import upsert_contact
from hub.conversations import ensure_open_conversation
from hub.db import transaction
from hub.events import (ContactProfile, MessageDeletion, MessageEdit, Reaction, ReadWatermark,
                        StatusUpdate)
from hub.messages import insert_message
from hub.models import (Attachment, Contact, Conversation, Message, PendingStatus, WebhookEvent)
from tests.inbound.conftest import create_channel, fixture_files, post_webhook

IN, OUT = "in", "out"
P, I = "processed", "ignored"


def E(status=P, created=(), seeded=(), pending=0, attachments=0, replies=0, text=None):
    """One fixture's expected result; `seeded` lists checks of messages seeded as targets."""
    return dict(status=status, created=list(created), seeded=list(seeded), pending=pending,
                attachments=attachments, replies=replies, text=text)


def msg(kind="text", direction=IN):
    return (kind, direction)


EXPECTED = {
    "whatsapp/messages__audio.json": E(created=[msg("audio")], attachments=1),
    "whatsapp/messages__batched.json": E(created=[msg(), msg(), msg("image")], attachments=1,
                                         seeded=[{"status": "delivered"}, {"status": "read"}]),
    "whatsapp/messages__button.json": E(created=[msg("button")]),
    "whatsapp/messages__contacts.json": E(created=[msg("contacts")]),
    "whatsapp/messages__document.json": E(created=[msg("document")], attachments=1),
    "whatsapp/messages__image.json": E(created=[msg("image")], attachments=1),
    "whatsapp/messages__interactive_button_reply.json": E(created=[msg("interactive")]),
    "whatsapp/messages__interactive_list_reply.json": E(created=[msg("interactive")]),
    "whatsapp/messages__location.json": E(created=[msg("location")]),
    "whatsapp/messages__reaction.json": E(seeded=[{"reaction": "👍"}]),
    "whatsapp/messages__reaction_removed.json": E(seeded=[{"reaction": None}]),
    "whatsapp/messages__reply_context.json": E(created=[msg()], seeded=[{}], replies=1),
    "whatsapp/messages__sticker.json": E(created=[msg("sticker")], attachments=1),
    "whatsapp/messages__system.json": E(created=[msg("system")]),
    "whatsapp/messages__text.json": E(created=[msg()]),
    "whatsapp/messages__text_unicode.json": E(created=[msg()], text="こんにちは"),
    "whatsapp/messages__unknown_type.json": E(status=I),
    "whatsapp/messages__unsupported.json": E(created=[msg("unsupported")]),
    "whatsapp/messages__video.json": E(created=[msg("video")], attachments=1),
    "whatsapp/messages__voice.json": E(created=[msg("voice")], attachments=1),
    "whatsapp/statuses__before_message.json": E(created=[msg()], pending=1),
    "whatsapp/statuses__delivered.json": E(seeded=[{"status": "delivered"}]),
    "whatsapp/statuses__failed.json": E(seeded=[{"status": "failed", "error": True}]),
    "whatsapp/statuses__failed_undeliverable.json": E(seeded=[{"status": "failed",
                                                               "error": True}]),
    "whatsapp/statuses__read.json": E(seeded=[{"status": "read"}]),
    "whatsapp/statuses__sent.json": E(seeded=[{"status": "sent"}]),
    "whatsapp/unknown__quality_update.json": E(status=I),
    "whatsapp/unknown__template_status.json": E(status=I),
    "instagram/changes__comments.json": E(status=I),
    "instagram/messaging__audio.json": E(created=[msg("audio")], attachments=1),
    "instagram/messaging__batched.json": E(created=[msg(), msg()], seeded=[
        {"reaction": "👍"}, {"status": "read"}]),
    "instagram/messaging__deleted.json": E(seeded=[{"deleted": True}]),
    "instagram/messaging__echo.json": E(created=[msg(direction=OUT)]),
    "instagram/messaging__image.json": E(created=[msg("image")], attachments=1),
    "instagram/messaging__postback.json": E(created=[msg("postback")]),
    "instagram/messaging__reaction.json": E(seeded=[{"reaction": "❤️"}]),
    "instagram/messaging__read.json": E(seeded=[{"status": "read"}]),
    "instagram/messaging__reply.json": E(created=[msg()], seeded=[{}], replies=1),
    "instagram/messaging__share.json": E(created=[msg()]),
    "instagram/messaging__story_mention.json": E(created=[msg("story_mention")]),
    "instagram/messaging__story_reply.json": E(created=[msg("story_reply")]),
    "instagram/messaging__text.json": E(created=[msg()]),
    "instagram/messaging__text_unicode.json": E(created=[msg()]),
    "instagram/messaging__unreact.json": E(seeded=[{"reaction": None}]),
    "instagram/messaging__unsupported.json": E(created=[msg("unsupported")]),
    "instagram/unknown__referral.json": E(status=I),
    "messenger/messaging__audio.json": E(created=[msg("audio")], attachments=1),
    "messenger/messaging__batched.json": E(created=[msg(), msg(), msg()],
                                           seeded=[{"status": "read"}]),
    "messenger/messaging__deleted.json": E(seeded=[{"deleted": True}]),
    "messenger/messaging__delivery.json": E(seeded=[{"status": "delivered"},
                                                    {"status": "delivered"}]),
    "messenger/messaging__echo.json": E(created=[msg(direction=OUT)]),
    "messenger/messaging__edit.json": E(seeded=[{"edited": True}]),
    "messenger/messaging__fallback.json": E(created=[msg()]),
    "messenger/messaging__file.json": E(created=[msg("document")], attachments=1),
    "messenger/messaging__image.json": E(created=[msg("image")], attachments=1),
    "messenger/messaging__postback.json": E(created=[msg("postback")]),
    "messenger/messaging__quick_reply.json": E(created=[msg()]),
    "messenger/messaging__reaction.json": E(seeded=[{"reaction": "❤️"}]),
    "messenger/messaging__read.json": E(seeded=[{"status": "read"}]),
    "messenger/messaging__reply.json": E(created=[msg()], seeded=[{}], replies=1),
    "messenger/messaging__text.json": E(created=[msg()]),
    "messenger/messaging__text_unicode.json": E(created=[msg()]),
    "messenger/messaging__unreact.json": E(seeded=[{"reaction": None}]),
    "messenger/messaging__video.json": E(created=[msg("video")], attachments=1),
    "messenger/unknown__referral.json": E(status=I),
    "messenger/unknown__standby.json": E(status=I),
    "telegram/callback_query__button.json": E(created=[msg("interactive")]),
    "telegram/channel_post__ignored.json": E(status=I),
    "telegram/edited_message__text.json": E(seeded=[{"edited": True}]),
    "telegram/message__audio.json": E(created=[msg("audio")], attachments=1),
    "telegram/message__contact.json": E(created=[msg("contacts")]),
    "telegram/message__document.json": E(created=[msg("document")], attachments=1),
    "telegram/message__group.json": E(created=[msg()]),
    "telegram/message__group_photo.json": E(created=[msg("image")], attachments=1),
    "telegram/message__location.json": E(created=[msg("location")]),
    "telegram/message__photo.json": E(created=[msg("image")], attachments=1),
    "telegram/message__reply.json": E(created=[msg()], seeded=[{}], replies=1),
    "telegram/message__sticker.json": E(created=[msg("sticker")], attachments=1),
    "telegram/message__text.json": E(created=[msg()]),
    "telegram/message__text_command.json": E(created=[msg()]),
    "telegram/message__text_non_ascii.json": E(created=[msg()]),
    "telegram/message__unsupported_poll.json": E(status=I),
    "telegram/message__venue.json": E(created=[msg("location")]),
    "telegram/message__video.json": E(created=[msg("video")], attachments=1),
    "telegram/message__voice.json": E(created=[msg("voice")], attachments=1),
    "telegram/my_chat_member__ignored.json": E(status=I),
    "telegram/poll__ignored.json": E(status=I),
}

SEED_TIME = datetime(2024, 6, 1, 12, 0, 0)


def _name(path) -> str:
    return f"{path.parent.parent.name}/{path.name}"


def _targets(kind: str, payload, want: dict) -> list[tuple[str, str, ContactProfile]]:
    """Messages a fixture refers to: (provider id, direction to seed, contact)."""
    targets = []
    for e in get_connector(kind).parse(payload):
        if isinstance(e, StatusUpdate) and not want["pending"]:
            targets.append((e.provider_message_id, OUT,
                            ContactProfile(external_id=e.recipient_id or "recipient")))
        elif isinstance(e, Reaction):
            targets.append((e.target_provider_message_id, OUT, e.contact))
        elif isinstance(e, (MessageEdit, MessageDeletion)):
            targets.append((e.provider_message_id, IN, e.contact))
        elif isinstance(e, ReadWatermark):
            targets.append((f"seed-{e.contact.external_id}", OUT, e.contact))
        elif getattr(e, "reply_to_provider_id", None) and want["replies"]:
            targets.append((e.reply_to_provider_id, OUT, e.contact))
    return targets


def _seed(channel_id: str, company_id: str, targets) -> list[str]:
    ids = []
    with hubdb.db.connection_context(), transaction():
        for provider_id, direction, profile in targets:
            contact = upsert_contact(company_id, channel_id, profile)
            conversation, _ = ensure_open_conversation(company_id, channel_id, contact.id)
            row, _ = insert_message(
                company=company_id, conversation=conversation.id, channel=channel_id,
                provider_message_id=provider_id, direction=direction,
                sender_type="agent" if direction == OUT else "customer",
                content="seeded", status="sent" if direction == OUT else "received",
                timestamp=SEED_TIME)
            ids.append(row.id)
    return ids


def check_stored(name: str, channel_id: str, seeded_ids: list[str]) -> None:
    want = EXPECTED[name]
    with hubdb.db.connection_context():
        events = list(WebhookEvent.select().where(WebhookEvent.channel == channel_id))
        assert [e.status for e in events] == [want["status"]], [e.error for e in events]
        created = list(Message.select().where((Message.channel == channel_id)
                                              & Message.id.not_in(seeded_ids or [""]))
                       .order_by(Message.timestamp, Message.id))
        assert [(m.message_type, m.direction) for m in created] == want["created"]
        assert len(seeded_ids) == len(want["seeded"])
        for message_id, check in zip(seeded_ids, want["seeded"]):
            row = Message.get_by_id(message_id)
            if "status" in check:
                assert row.status == check["status"]
            if check.get("error"):
                assert row.error_code and row.error_reason
            if "reaction" in check:
                emojis = [r["emoji"] for r in (row.payload or {}).get("reactions") or []]
                assert emojis == ([check["reaction"]] if check["reaction"] else [])
            if check.get("deleted"):
                assert row.deleted_at is not None
            if check.get("edited"):
                assert row.edited_at is not None and row.content != "seeded"
        assert PendingStatus.select().where(PendingStatus.channel == channel_id).count() \
            == want["pending"]
        attachments = list(Attachment.select().join(Message).where(Message.channel == channel_id))
        assert len(attachments) == want["attachments"]
        assert all(a.status == "pending" and (a.provider_media_id or a.source_url)
                   for a in attachments)
        assert sum(1 for m in created if m.reply_to_id) == want["replies"]
        if want["text"]:
            assert any(want["text"] in m.content for m in created)
        for m in created:
            if m.direction == IN:
                assert m.sender_type == "customer" and m.status == "received"
            else:
                assert m.sender_type == "agent" and m.status == "sent"
        conversations = Conversation.select().where(Conversation.channel == channel_id)
        contacts = {c.contact_id for c in conversations}
        assert conversations.count() == len(contacts)  # one open conversation per contact
        assert Contact.select().count() >= len(contacts)


ALL = fixture_files()


def test_every_fixture_has_an_expectation():
    missing = sorted({_name(p) for p in ALL} - set(EXPECTED))
    stale = sorted(set(EXPECTED) - {_name(p) for p in ALL})
    assert not missing, f"fixtures without an expectation: {missing}"
    assert not stale, f"expectations without a fixture: {stale}"


@pytest.mark.parametrize("path", ALL, ids=_name)
def test_fixture_through_signed_endpoint_and_worker(path, client, tenant, emulator,
                                                    inbound_worker):
    # Given a channel of the fixture's kind and the messages the fixture refers to
    kind = path.parent.parent.name
    assert _name(path) in EXPECTED, f"{_name(path)} has no expectation"
    channel = create_channel(client, tenant, kind, emulator)
    raw = path.read_bytes()
    seeded = _seed(channel["id"], tenant.company.id, _targets(kind, json.loads(raw), EXPECTED[_name(path)]))
    # When the provider posts it, signed, and the worker processes it
    response = post_webhook(client, kind, channel["id"], raw)
    assert response.status_code == 200, response.get_json()
    inbound_worker.drain()
    # Then the database holds what the table says
    check_stored(_name(path), channel["id"], seeded)
    # And a redelivery answers 200 and adds nothing
    again = post_webhook(client, kind, channel["id"], raw)
    assert again.status_code == 200 and again.get_json()["duplicate"] is True
    inbound_worker.drain()
    check_stored(_name(path), channel["id"], seeded)
