"""The webhook endpoint: handshake, signatures, size, malformed bodies, redelivery, DB down."""
from __future__ import annotations

import hashlib
import hmac
import json

import peewee

from hub import db as hubdb
from hub.models import Message, WebhookEvent
from tests.inbound.conftest import (APP_SECRET, ROOT, create_channel, post_webhook,
                                   signed_headers)

TEXT = (ROOT / "connectors/whatsapp/fixtures/messages__text.json").read_bytes()


def _events() -> int:
    with hubdb.db.connection_context():
        return WebhookEvent.select().count()


def test_meta_handshake_echoes_challenge_and_refuses_wrong_token(client, tenant, emulator):
    channel = create_channel(client, tenant, "whatsapp", emulator)
    url = f"/webhooks/whatsapp/{channel['id']}"
    ok = client.get(url, query_string={"hub.mode": "subscribe", "hub.challenge": "1158201444",
                                       "hub.verify_token": channel["verifyToken"]})
    assert ok.status_code == 200 and ok.data == b"1158201444"
    assert ok.mimetype == "text/plain"
    bad = client.get(url, query_string={"hub.mode": "subscribe", "hub.challenge": "1",
                                        "hub.verify_token": "wrong"})
    assert bad.status_code == 403


def test_bad_or_missing_signature_stores_nothing(client, tenant, emulator):
    wa = create_channel(client, tenant, "whatsapp", emulator)
    tg = create_channel(client, tenant, "telegram", emulator)
    tg_body = (ROOT / "connectors/telegram/fixtures/message__text.json").read_bytes()
    answers = [
        post_webhook(client, "whatsapp", wa["id"], TEXT, headers={}),
        post_webhook(client, "whatsapp", wa["id"], TEXT,
                     headers={"X-Hub-Signature-256": "sha256=" + "0" * 64}),
        post_webhook(client, "whatsapp", wa["id"], TEXT + b" ", headers=signed_headers(
            wa["id"], TEXT)),
        post_webhook(client, "telegram", tg["id"], tg_body, headers={}),
        post_webhook(client, "telegram", tg["id"], tg_body,
                     headers={"X-Telegram-Bot-Api-Secret-Token": "guess"}),
    ]
    assert [a.status_code for a in answers] == [401] * 5
    assert all(a.get_json()["error"]["code"] == "invalid_signature" for a in answers)
    assert _events() == 0


def test_oversized_body_is_413_and_malformed_json_400(client, tenant, emulator, app):
    channel = create_channel(client, tenant, "whatsapp", emulator)
    limit = __import__("hub.settings", fromlist=["x"]).get_settings().max_webhook_bytes
    big = b'{"a": "' + b"x" * limit + b'"}'
    assert post_webhook(client, "whatsapp", channel["id"], big).status_code == 413
    malformed = b'{"object": "whatsapp_business_account", "entry": ['
    answer = post_webhook(client, "whatsapp", channel["id"], malformed)
    assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "invalid_json"
    assert _events() == 0


def test_unknown_channel_or_kind_is_404(client, tenant, emulator):
    channel = create_channel(client, tenant, "whatsapp", emulator)
    assert post_webhook(client, "whatsapp", "0" * 32, TEXT, headers={}).status_code == 404
    assert post_webhook(client, "sms", channel["id"], TEXT, headers={}).status_code == 404
    assert post_webhook(client, "messenger", channel["id"], TEXT, headers={}).status_code == 404
    client.delete(f"/api/channels/{channel['id']}", headers=tenant.headers)
    assert post_webhook(client, "whatsapp", channel["id"], TEXT).status_code == 404


def test_redelivery_answers_200_and_adds_nothing(client, tenant, emulator, inbound_worker):
    channel = create_channel(client, tenant, "whatsapp", emulator)
    first = post_webhook(client, "whatsapp", channel["id"], TEXT)
    second = post_webhook(client, "whatsapp", channel["id"], TEXT)
    assert first.status_code == second.status_code == 200
    assert second.get_json() == {**first.get_json(), "duplicate": True}
    inbound_worker.drain()
    with hubdb.db.connection_context():
        assert WebhookEvent.select().count() == 1 and Message.select().count() == 1


def test_unknown_event_types_are_stored_ignored_and_answered_200(client, tenant, emulator,
                                                                 inbound_worker):
    channel = create_channel(client, tenant, "whatsapp", emulator)
    body = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
        {"field": "brand_new_field", "value": {"anything": True}}]}]}
    assert post_webhook(client, "whatsapp", channel["id"], body).status_code == 200
    inbound_worker.drain()
    with hubdb.db.connection_context():
        assert [e.status for e in WebhookEvent.select()] == ["ignored"]


def test_database_down_answers_503(client, tenant, emulator, monkeypatch):
    channel = create_channel(client, tenant, "whatsapp", emulator)
    headers = signed_headers(channel["id"], TEXT)

    database = hubdb.db.obj
    execute_sql = database.execute_sql

    def down(sql, *args, **kwargs):  # the database goes away just before the event's INSERT
        if sql.lstrip().upper().startswith("INSERT"):
            raise peewee.OperationalError("could not connect to server: Connection refused")
        return execute_sql(sql, *args, **kwargs)

    monkeypatch.setattr(database, "execute_sql", down)
    answer = post_webhook(client, "whatsapp", channel["id"], TEXT, headers=headers)
    assert answer.status_code == 503
    assert answer.get_json()["error"]["code"] == "database_unavailable"
    monkeypatch.undo()
    assert _events() == 0


def test_database_unreachable_answers_503(tmp_path, settings, tenant):
    """A web process whose database cannot be opened answers 503, never 200."""
    from web import create_app

    missing = tmp_path / "gone" / "hub.sqlite3"  # a directory that does not exist
    app = create_app({"TESTING": True, "REINIT_DB": True,
                      "settings": settings.with_overrides(database_url=f"sqlite:///{missing}")})
    try:
        answer = app.test_client().post("/webhooks/whatsapp/" + "a" * 32, data=TEXT)
        assert answer.status_code == 503
    finally:
        hubdb.init_db(settings.resolved_database_url)
        from hub.settings import configure
        configure(settings)
    assert json.loads(TEXT)  # the fixture itself is fine


def test_cached_channel_config_follows_rotated_secrets_and_deletion(client, tenant, emulator):
    """The per-process config cache never accepts an old secret or a deleted channel."""
    channel = create_channel(client, tenant, "whatsapp", emulator)
    assert post_webhook(client, "whatsapp", channel["id"], TEXT).status_code == 200  # cached
    rotated = client.put(f"/api/channels/{channel['id']}", headers=tenant.headers,
                         json={"credentials": {"appSecret": "a-brand-new-app-secret"}})
    assert rotated.status_code == 200, rotated.get_json()
    other = TEXT.replace(b"wamid", b"wamiX")
    old_signature = hmac.new(APP_SECRET.encode(), other, hashlib.sha256).hexdigest()
    old_headers = {"X-Hub-Signature-256": f"sha256={old_signature}"}
    assert post_webhook(client, "whatsapp", channel["id"], other,
                        headers=old_headers).status_code in (401, 403)
    assert post_webhook(client, "whatsapp", channel["id"], other).status_code == 200
    client.delete(f"/api/channels/{channel['id']}", headers=tenant.headers)
    assert post_webhook(client, "whatsapp", channel["id"], TEXT.replace(b"wamid", b"wamiY"),
                        ).status_code == 404


def _as_another_process(channel_id: str, **columns) -> None:
    """Change the channel row directly, as a web process other than this one would."""
    from hub.models import Channel

    with hubdb.db.connection_context():
        Channel.update(**columns).where(Channel.id == channel_id).execute()


def _channel_reads(monkeypatch) -> list[str]:
    """Every read of channel rows (hub.webhook_channels) from now on."""
    database = hubdb.db.obj
    execute_sql = database.execute_sql
    reads: list[str] = []

    def counted(sql, *args, **kwargs):
        if sql.startswith("SELECT") and " FROM channel WHERE id IN " in sql:
            reads.append(sql)
        return execute_sql(sql, *args, **kwargs)

    monkeypatch.setattr(database, "execute_sql", counted)
    return reads


def test_a_cached_channel_costs_no_read_of_its_own(client, tenant, emulator, monkeypatch):
    channel = create_channel(client, tenant, "whatsapp", emulator)
    assert post_webhook(client, "whatsapp", channel["id"], TEXT).status_code == 200  # cached
    reads = _channel_reads(monkeypatch)
    for n in range(3):
        body = TEXT.replace(b"wamid", f"wami{n}".encode())
        assert post_webhook(client, "whatsapp", channel["id"], body).status_code == 200
    assert reads == []
    monkeypatch.undo()
    assert _events() == 4


def test_a_channel_disabled_elsewhere_stores_nothing_more_even_for_a_redelivery(
        client, tenant, emulator, monkeypatch):
    channel = create_channel(client, tenant, "whatsapp", emulator)
    assert post_webhook(client, "whatsapp", channel["id"], TEXT).status_code == 200  # cached
    _as_another_process(channel["id"], status="disabled")
    reads = _channel_reads(monkeypatch)
    fresh = TEXT.replace(b"wamid", b"wamiZ")
    assert post_webhook(client, "whatsapp", channel["id"], fresh).status_code == 404
    assert len(reads) == 1  # the guard refused the INSERT; the fresh read found it disabled
    # A redelivery of the event stored before is not acknowledged as a duplicate either
    assert post_webhook(client, "whatsapp", channel["id"], TEXT).status_code == 404
    monkeypatch.undo()
    assert _events() == 1
    _as_another_process(channel["id"], status="active")
    assert post_webhook(client, "whatsapp", channel["id"], fresh).status_code == 200
    assert _events() == 2


def test_secrets_rotated_elsewhere_are_used_by_the_next_delivery(client, tenant, emulator):
    """Another process re-encrypts the credentials with a new app secret: this process's
    cached config is out of date, and the delivery is checked on the fresh row."""
    from hub.crypto import encrypt_json
    from tests.inbound.conftest import CREDENTIALS

    channel = create_channel(client, tenant, "whatsapp", emulator)
    assert post_webhook(client, "whatsapp", channel["id"], TEXT).status_code == 200  # cached
    rotated = {**CREDENTIALS["whatsapp"], "appSecret": "rotated-elsewhere"}
    _as_another_process(channel["id"], credentials_encrypted=encrypt_json(rotated))
    def signed(body: bytes, secret: str) -> dict[str, str]:
        return {"X-Hub-Signature-256":
                "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}

    old = TEXT.replace(b"wamid", b"wamiO")
    # Signed with the old secret, which the out-of-date cached config would still accept
    assert post_webhook(client, "whatsapp", channel["id"], old,
                        headers=signed(old, APP_SECRET)).status_code in (401, 403)
    new = TEXT.replace(b"wamid", b"wamiN")
    answer = post_webhook(client, "whatsapp", channel["id"], new,
                          headers=signed(new, "rotated-elsewhere"))
    assert answer.status_code == 200 and answer.get_json()["duplicate"] is False
    assert _events() == 2


def test_a_channel_that_keeps_changing_gets_503_and_nothing_stored(client, tenant, emulator,
                                                                  monkeypatch):
    """Both the cached and the fresh config went out of date before their INSERT: the provider
    is told to retry (503), not given a 500, and nothing is half-written."""
    from hub.webhook_channels import StaleChannel
    from web import webhooks

    channel = create_channel(client, tenant, "whatsapp", emulator)
    attempts = []

    def always_stale(live, *args):
        attempts.append(live.guard is not None)
        raise StaleChannel(live.id)

    monkeypatch.setattr(webhooks, "store_raw_event", always_stale)
    answer = post_webhook(client, "whatsapp", channel["id"], TEXT)
    assert answer.status_code == 503
    assert answer.get_json()["error"]["code"] == "channel_changed"
    assert attempts == [True, True]  # the cached config, then the row read again
    monkeypatch.undo()
    assert _events() == 0
