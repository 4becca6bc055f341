"""Channel sync against a local HTTP server speaking the Graph and Bot API shapes."""
from __future__ import annotations

import json
import threading
from datetime import datetime
from typing import Any

import pytest
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from hub import channel_sync, jobs, pending_events
from hub import db as hubdb
from hub.crypto import encrypt_json
from hub.events import ContactProfile, Reaction
from hub.messages import apply_status
from hub.models import Channel, ChannelTemplate, ContactIdentity, Message, MessagePart, \
    PendingEvent, PendingStatus, WebhookEvent
from tests.hub.builders import channel, contact, conversation, message

TEMPLATES = [{"name": "order_update", "language": "en_US", "category": "UTILITY",
              "status": "APPROVED", "components": [{"type": "BODY", "text": "Order {{1}}"}]},
             {"name": "promo", "language": "fr", "category": "MARKETING", "status": "PAUSED",
              "components": []}]
UPDATES = [{"update_id": 500 + i, "message": {"message_id": i, "chat": {"id": 77, "type": "private"},
                                              "date": 1714000000 + i, "text": f"hi {i}"}}
           for i in range(3)]


@pytest.fixture
def provider():
    """A local provider: Graph (templates, phone, conversations, profiles) and the Bot API."""
    app = Flask("provider")
    state: dict[str, Any] = {"calls": [], "throttle": False}

    @app.get("/<path:path>")
    def graph(path: str):
        state["calls"].append((path, dict(request.args)))
        parts = path.split("/")
        if parts[0].startswith("bot"):
            if parts[1] == "getWebhookInfo":
                return jsonify(ok=True, result={"url": "", "pending_update_count": 0})
            offset = int(request.args.get("offset", 0))
            return jsonify(ok=True, result=[u for u in UPDATES if u["update_id"] >= offset])
        if state["throttle"]:
            return jsonify(error={"message": "limit", "code": 4}), 400
        if path.endswith("message_templates"):
            page = int(request.args.get("after", 1))
            data = TEMPLATES[page - 1:page]
            nxt = f"{request.base_url}?after={page + 1}" if page < len(TEMPLATES) else None
            return jsonify(data=data, paging={"next": nxt} if nxt else {})
        if path.endswith("conversations"):
            return jsonify(data=[{"id": "t1", "messages": {"data": [
                {"id": "m_2", "message": "we ship tomorrow", "created_time": "2024-04-02T10:05:00+0000",
                 "from": {"id": "PAGE", "name": "Shop"}, "to": {"data": [{"id": "PSID1"}]}},
                {"id": "m_1", "message": "where is my order?", "created_time": "2024-04-02T10:00:00+0000",
                 "from": {"id": "PSID1", "name": "Ann Lee"}, "to": {"data": [{"id": "PAGE"}]}},
            ]}}])
        if parts[-1] == "PHONE":
            return jsonify(quality_rating="GREEN", messaging_limit_tier="TIER_1K",
                           display_phone_number="+1 555 0100", verified_name="Shop")
        return jsonify(id=parts[-1], first_name="Ann", last_name="Lee",
                       profile_pic="https://cdn.test/ann.jpg")

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state["base"] = f"http://127.0.0.1:{server.server_port}"
    yield state
    server.shutdown()


def make(company, kind: str, base: str, creds: dict, **settings) -> Channel:
    return channel(company, kind, credentials_encrypted=encrypt_json(creds),
                   settings={"apiBaseUrl": base + ("/v21.0" if kind != "telegram" else ""),
                             **settings})


def _messenger_thread(tenant, provider) -> tuple[Channel, Any]:
    """A Messenger channel of the provider's page and a conversation with customer PSID1."""
    ch = make(tenant.company, "messenger", provider["base"], {"accessToken": "t", "pageId": "PAGE"})
    with hubdb.db.connection_context():
        who = contact(tenant.company, name="")
        ContactIdentity.create(company=tenant.company, contact=who, channel=ch, external_id="PSID1")
    return ch, conversation(tenant.company, ch, who, datetime(2024, 4, 2, 10))


def test_whatsapp_templates_and_phone_quality(tenant, provider):
    # Given a WhatsApp channel with an outdated template stored
    ch = make(tenant.company, "whatsapp", provider["base"],
              {"accessToken": "t", "businessAccountId": "WABA", "phoneNumberId": "PHONE"})
    with hubdb.db.connection_context():
        ChannelTemplate.create(company=tenant.company, channel=ch, name="gone", language="en")
        ChannelTemplate.create(company=tenant.company, channel=ch, name="promo", language="fr",
                               status="APPROVED")
        # When it syncs (twice: the second changes nothing)
        channel_sync.sync_channel(ch.id)
        channel_sync.sync_channel(ch.id)
        # Expect both pages of templates, current statuses, and the number's health
        rows = {(t.name, t.language): t.status for t in ChannelTemplate.select()}
        state = Channel.get_by_id(ch.id).sync_state
    assert rows == {("order_update", "en_US"): "APPROVED", ("promo", "fr"): "PAUSED"}
    assert state["phone"]["qualityRating"] == "GREEN"
    assert state["phone"]["messagingLimitTier"] == "TIER_1K" and state["lastSyncError"] is None


def test_telegram_polling_feeds_raw_events_once(tenant, provider, monkeypatch):
    # Given a Telegram bot in polling mode
    enqueued: list[tuple] = []
    monkeypatch.setattr(jobs, "_dispatcher", lambda name, args, delay: enqueued.append((name, args)))
    ch = make(tenant.company, "telegram", provider["base"], {"botToken": "123:abc"}, mode="polling")
    with hubdb.db.connection_context():
        # When it polls twice
        channel_sync.sync_channel(ch.id)
        channel_sync.sync_channel(ch.id, poll_only=True)
        events = list(WebhookEvent.select().order_by(WebhookEvent.dedupe_key))
        state = Channel.get_by_id(ch.id).sync_state
    # Expect each update stored once as a raw event, processed like a webhook, offset advanced
    assert [e.dedupe_key for e in events] == ["500", "501", "502"]
    assert json.loads(events[0].body) == UPDATES[0]
    assert [name for name, _ in enqueued] == ["process_webhook"] * 3
    assert state["telegramOffset"] == 503 and state["webhookInfo"]["pending_update_count"] == 0
    offsets = [args.get("offset") for path, args in provider["calls"] if "getUpdates" in path]
    assert offsets == [None, "503"]


def test_messenger_backfill_never_duplicates(tenant, provider):
    # Given a Messenger channel where the customer's message already arrived by webhook
    ch, conv = _messenger_thread(tenant, provider)
    message(conv, datetime(2024, 4, 2, 10), provider_message_id="m_1",
            content="where is my order?")
    with hubdb.db.connection_context():
        # When backfill runs twice
        first = channel_sync.sync_channel(ch.id)
        channel_sync.sync_channel(ch.id)
        thread = [(m.provider_message_id, m.direction, m.content)
                  for m in Message.select().order_by(Message.timestamp)]
        identity = ContactIdentity.get(ContactIdentity.external_id == "PSID1")
    # Expect only the page's reply added, in the same conversation, and the profile refreshed
    assert first["inserted"] == 1
    assert thread == [("m_1", "in", "where is my order?"), ("m_2", "out", "we ship tomorrow")]
    assert identity.display_name == "Ann Lee" and identity.contact.name == "Ann Lee"
    assert identity.profile["avatar"] == "https://cdn.test/ann.jpg"


def test_backfill_applies_what_waited_for_its_messages(tenant, provider):
    """The customer's message and our reply never came by webhook, but a reaction to the one,
    a read status of the other and a later message quoting the first did: the backfill
    applies them."""
    ch, conv = _messenger_thread(tenant, provider)
    quoting = message(conv, datetime(2024, 4, 2, 10, 7), provider_message_id="m_3",
                      content="so?", reply_to_provider_id="m_1")
    with hubdb.db.connection_context():
        pending_events.park(ch, "reaction", "m_1", Reaction(
            target_provider_message_id="m_1", contact=ContactProfile(external_id="PSID1"),
            timestamp=datetime(2024, 4, 2, 10, 1), emoji="\u2764"))
        apply_status(ch.id, "m_2", "read", datetime(2024, 4, 2, 10, 6))
        assert channel_sync.sync_channel(ch.id)["inserted"] == 2
        stored = {m.provider_message_id: m for m in Message.select()}
        assert [r["emoji"] for r in stored["m_1"].payload["reactions"]] == ["\u2764"]
        assert stored["m_2"].status == "read"
        assert PendingEvent.select().count() == 0 and PendingStatus.select().count() == 0
        assert Message.get_by_id(quoting.id).reply_to_id == stored["m_1"].id


def test_backfill_skips_a_later_part_of_a_message_we_sent(tenant, provider):
    # Given our message that went out as two Messenger messages, the second being m_2
    ch, conv = _messenger_thread(tenant, provider)
    ours = message(conv, datetime(2024, 4, 2, 10, 5), sender="agent", provider_message_id="m_0",
                   content="we ship tomorrow")
    with hubdb.db.connection_context():
        MessagePart.create(channel=ch, provider_message_id="m_2", message=ours)
        # When the backfill reads the thread (m_1 from the customer, m_2 from the page)
        assert channel_sync.sync_channel(ch.id)["inserted"] == 1
        # Then only the customer's message is added: m_2 is ours already
        assert sorted(m.provider_message_id for m in Message.select()) == ["m_0", "m_1"]


def test_backfill_pauses_when_graph_throttles(tenant, provider):
    # Given Graph answering "application request limit reached"
    provider["throttle"] = True
    ch = make(tenant.company, "instagram", provider["base"], {"accessToken": "t", "pageId": "PAGE"})
    with hubdb.db.connection_context():
        result = channel_sync.sync_channel(ch.id)
        state = Channel.get_by_id(ch.id).sync_state
    # Expect a pause recorded, nothing imported, no error raised
    assert result["paused"] == "throttled by Graph" and result["inserted"] == 0
    assert state["backfill"]["paused"] == "throttled by Graph"


def test_sync_results_reach_the_channel_page_and_the_composer(tenant, make_tenant, provider,
                                                               client):
    # Given a WhatsApp channel and a Telegram bot that synced
    wa = make(tenant.company, "whatsapp", provider["base"],
              {"accessToken": "t", "businessAccountId": "WABA", "phoneNumberId": "PHONE"})
    tg = make(tenant.company, "telegram", provider["base"], {"botToken": "123:abc"})
    with hubdb.db.connection_context():
        channel_sync.sync_channel(wa.id)
        channel_sync.sync_channel(tg.id)
    # Expect the number's quality, the template count and the webhook's health on the channels
    shown = {c["id"]: c["sync"] for c in client.get("/api/channels",
                                                      headers=tenant.headers).get_json()}
    assert shown[wa.id]["phone"]["qualityRating"] == "GREEN" and shown[wa.id]["templates"] == 2
    assert shown[wa.id]["lastSyncAt"] and shown[wa.id]["lastSyncError"] is None
    assert shown[tg.id]["webhookInfo"] == {"url": "", "pending_update_count": 0}
    # And the templates for the composer; another company's agent gets a 404
    answer = client.get(f"/api/channels/{wa.id}/templates", headers=tenant.headers)
    assert answer.status_code == 200
    assert [(t["name"], t["status"], t["components"]) for t in answer.get_json()] == [
        ("order_update", "APPROVED", [{"type": "BODY", "text": "Order {{1}}"}]),
        ("promo", "PAUSED", [])]
    other = make_tenant()
    assert client.get(f"/api/channels/{wa.id}/templates",
                      headers=other.headers).status_code == 404


def test_whatsapp_without_business_account_reads_the_number_only(tenant, provider):
    # Given a number connected without its business account id
    ch = make(tenant.company, "whatsapp", provider["base"],
              {"accessToken": "t", "phoneNumberId": "PHONE"})
    with hubdb.db.connection_context():
        channel_sync.sync_channel(ch.id)
        state = Channel.get_by_id(ch.id).sync_state
    # Expect no template request (it has no account to ask), the number's health, and why
    assert not [path for path, _ in provider["calls"] if "message_templates" in path]
    assert state["phone"]["qualityRating"] == "GREEN" and state["lastSyncError"] is None
    assert state["templatesSynced"] is False
