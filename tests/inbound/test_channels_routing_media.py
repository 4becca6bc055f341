"""Channels API, routing rules, and media downloads against the emulator."""
from __future__ import annotations

import io

from hub import db as hubdb
from hub.conversations import ensure_open_conversation
from hub.contacts import upsert_contact
from hub.events import ContactProfile
from hub.models import Attachment, Channel, Company, Conversation, Notification
from hub.routing import route_conversation
from tests.inbound.builders import tg_photo, wa_message
from tests.inbound.conftest import CREDENTIALS, create_channel, post_webhook

def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


PNG = _png()


def test_create_channel_masks_secrets_and_gives_webhook_url(client, tenant, emulator):
    body = create_channel(client, tenant, "whatsapp", emulator)
    assert body["webhookUrl"] == f"http://127.0.0.1:5000/webhooks/whatsapp/{body['id']}"
    assert body["verifyToken"] and len(body["verifyToken"]) >= 24
    assert body["credentials"]["accessToken"] != CREDENTIALS["whatsapp"]["accessToken"]
    assert "test-token" not in str(body) and "app-secret" not in str(body)
    with hubdb.db.connection_context():
        stored = Channel.get_by_id(body["id"]).credentials_encrypted
    assert "EAAG-test-token" not in stored
    listed = client.get("/api/channels", headers=tenant.headers).get_json()
    assert [c["id"] for c in listed] == [body["id"]]


def test_channel_validation_roles_and_soft_delete(client, tenant, other_tenant, emulator):
    bad = client.post("/api/channels", headers=tenant.headers, json={
        "kind": "whatsapp", "name": "x", "credentials": {"accessToken": "t"}})
    assert bad.status_code == 400
    assert set(bad.get_json()["error"]["details"]["credentials"]) == {"appSecret",
                                                                      "phoneNumberId"}
    widget = client.post("/api/channels", headers=tenant.headers,
                         json={"kind": "widget", "name": "site"})
    assert widget.status_code == 400
    _, agent = tenant.add_user("support")
    assert client.post("/api/channels", headers=agent, json={
        "kind": "telegram", "name": "t", "credentials": CREDENTIALS["telegram"]}).status_code == 403
    channel = create_channel(client, tenant, "messenger", emulator)
    assert "verifyToken" not in client.get(f"/api/channels/{channel['id']}",
                                           headers=agent).get_json()
    assert client.get(f"/api/channels/{channel['id']}",
                      headers=other_tenant.headers).status_code == 404
    renamed = client.put(f"/api/channels/{channel['id']}", headers=tenant.headers,
                         json={"name": "Support page", "settings": {"httpTimeout": 5}})
    assert renamed.status_code == 200 and renamed.get_json()["name"] == "Support page"
    assert renamed.get_json()["settings"]["apiBaseUrl"].startswith(emulator.url)
    assert client.delete(f"/api/channels/{channel['id']}", headers=tenant.headers).status_code == 204
    assert client.get(f"/api/channels/{channel['id']}", headers=tenant.headers).status_code == 404
    with hubdb.db.connection_context():
        assert Channel.get_by_id(channel["id"]).deleted_at is not None  # history stays


def test_telegram_channel_registers_webhook_with_secret_token(client, tenant, emulator):
    body = create_channel(client, tenant, "telegram", emulator)
    assert body["status"] == "active" and "verifyToken" not in body
    webhook = emulator.state.bot(CREDENTIALS["telegram"]["botToken"]).webhook
    assert webhook["url"] == body["webhookUrl"]
    with hubdb.db.connection_context():
        from hub.channel_config import channel_config
        config = channel_config(Channel.get_by_id(body["id"]))
    assert webhook["secret_token"] == config.secret_token and len(config.secret_token) >= 32


def _agents(tenant, n, **fields):
    return [tenant.add_user("support", status="online", name=f"Agent {i}", **fields)[0]
            for i in range(n)]


def _conversation(tenant, channel_id, who):
    with hubdb.db.connection_context():
        contact = upsert_contact(tenant.company.id, channel_id, ContactProfile(external_id=who))
        return ensure_open_conversation(tenant.company.id, channel_id, contact.id)[0].id


def _set_rule(tenant, rule):
    with hubdb.db.connection_context():
        Company.update(settings={"routing": {"rule": rule}}).where(
            Company.id == tenant.company.id).execute()


def test_round_robin_skips_offline_full_and_other_channel_agents(client, tenant, emulator,
                                                                  db_conn):
    channel = create_channel(client, tenant, "whatsapp", emulator)["id"]
    a, b = sorted(_agents(tenant, 2), key=lambda u: u.id)
    tenant.add_user("support", status="offline")
    tenant.add_user("support", status="online", channel_ids=["0" * 32])
    tenant.add_user("support", status="online", max_open_conversations=0)
    Company.update(settings={"routing": {"rule": "round_robin"}}).execute()
    got = [route_conversation(_conversation(tenant, channel, f"c{i}")) for i in range(4)]
    assert got == [a.id, b.id, a.id, b.id]
    assert Notification.select().where(Notification.user == a.id).count() == 2


def test_least_open_and_manual_rules(client, tenant, emulator, db_conn):
    channel = create_channel(client, tenant, "whatsapp", emulator)["id"]
    a, b = sorted(_agents(tenant, 2), key=lambda u: u.id)
    busy = _conversation(tenant, channel, "busy")
    Conversation.update(assignee=a.id).where(Conversation.id == busy).execute()
    _set_rule(tenant, "least_open")
    assert route_conversation(_conversation(tenant, channel, "n1")) == b.id
    _set_rule(tenant, "manual")
    manual = _conversation(tenant, channel, "n2")
    assert route_conversation(manual) is None
    assert Conversation.get_by_id(manual).assignee_id is None


def test_new_conversation_is_routed_by_a_job(client, tenant, emulator, worker):
    [agent] = _agents(tenant, 1)
    channel = create_channel(client, tenant, "whatsapp", emulator)
    assert post_webhook(client, "whatsapp", channel["id"], wa_message()).status_code == 200
    worker.drain()
    with hubdb.db.connection_context():
        assert Conversation.get().assignee_id == agent.id


def test_media_downloaded_from_emulator_into_the_pending_attachment(client, tenant, emulator,
                                                                    worker):
    emulator.state.add_media("wa-media-1", PNG, "image/png")
    emulator.state.add_media("tg-file-1", PNG, "image/png", file_path="photos/file_1.png")
    wa = create_channel(client, tenant, "whatsapp", emulator)
    tg = create_channel(client, tenant, "telegram", emulator)
    post_webhook(client, "whatsapp", wa["id"], wa_message(image_id="wa-media-1"))
    post_webhook(client, "whatsapp", wa["id"], wa_message(image_id="gone-media"))
    post_webhook(client, "telegram", tg["id"], tg_photo("tg-file-1"))
    worker.drain()
    with hubdb.db.connection_context():
        rows = {a.provider_media_id: a for a in Attachment.select()}
    assert len(rows) == 3
    for media_id in ("wa-media-1", "tg-file-1"):
        ready = rows[media_id]
        assert (ready.status, ready.content_type, ready.size) == ("ready", "image/png", len(PNG))
        assert (ready.width, ready.height) == (4, 4) and ready.storage_path
    assert rows["gone-media"].status == "failed" and rows["gone-media"].error


def test_a_new_channel_syncs_at_once(client, tenant, emulator, monkeypatch):
    # Given the jobs the hub enqueues
    from hub import channel_sync, jobs

    enqueued: list[tuple] = []
    monkeypatch.setattr(jobs, "_dispatcher", lambda name, args, delay: enqueued.append((name, args)))
    # When an admin connects a WhatsApp number
    body = create_channel(client, tenant, "whatsapp", emulator)
    # Then its first sync is queued, and once it ran the composer has the number's templates
    assert ("sync_channel", (body["id"],)) in enqueued
    with hubdb.db.connection_context():
        channel_sync.sync_channel(body["id"])
    templates = client.get(f"/api/channels/{body['id']}/templates", headers=tenant.headers)
    assert [t["name"] for t in templates.get_json()] == ["hello_world", "order_update"]
    shown = client.get(f"/api/channels/{body['id']}", headers=tenant.headers).get_json()
    assert shown["sync"]["phone"]["qualityRating"] == "GREEN" and shown["sync"]["templates"] == 2
    # And a new access token syncs again (what the old one saw may be stale)
    enqueued.clear()
    answer = client.put(f"/api/channels/{body['id']}", headers=tenant.headers,
                        json={"credentials": {"accessToken": "EAAG-rotated"}})
    assert answer.status_code == 200
    assert enqueued == [("sync_channel", (body["id"],))]
