"""The webhook fast path (web.webhook_wsgi): what it answers itself, and what it hands to Flask."""
from __future__ import annotations

import http.client
import json
import logging
import re

import peewee
import pytest

from hub import db as hubdb
from hub.models import WebhookEvent
from hub.settings import get_settings
from tests.inbound.conftest import ROOT, create_channel, post_webhook, signed_headers
from tests.realtime.conftest import WebProcess

TEXT = (ROOT / "connectors/whatsapp/fixtures/messages__text.json").read_bytes()
RULE = "/webhooks/<kind>/<channel_id>"


def _stored() -> list[str]:
    with hubdb.db.connection_context():
        return [e.dedupe_key for e in WebhookEvent.select()]


def _count(client, status: int) -> float:
    text = client.get("/metrics").get_data(as_text=True)
    found = re.search(r'hub_http_requests_total\{endpoint="%s",method="POST",status="%d"\} '
                      r'([0-9.]+)' % (re.escape(RULE), status), text)
    return float(found.group(1)) if found else 0.0


@pytest.fixture
def flask_view_refused(app, monkeypatch):
    """The Flask view fails the test if a request reaches it."""
    def refuse(**kwargs):
        raise AssertionError("the Flask view answered a delivery the fast path should have")

    monkeypatch.setitem(app.view_functions, "webhooks.receive", refuse)


def test_a_delivery_is_answered_below_flask_with_id_metrics_and_log(
        client, tenant, emulator, flask_view_refused, caplog):
    channel = create_channel(client, tenant, "whatsapp", emulator)
    before = _count(client, 200)
    with caplog.at_level(logging.INFO, logger="hub.http"):
        answer = post_webhook(client, "whatsapp", channel["id"], TEXT, headers={
            **signed_headers(channel["id"], TEXT), "X-Request-Id": "fast123"})
        again = post_webhook(client, "whatsapp", channel["id"], TEXT)
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    assert answer.headers["X-Request-Id"] == "fast123"
    assert re.fullmatch(r"[0-9a-f]{16}", again.headers["X-Request-Id"])
    assert answer.get_json() == {"success": True, "eventId": answer.get_json()["eventId"],
                                 "duplicate": False}
    assert again.get_json() == {**answer.get_json(), "duplicate": True}
    assert len(_stored()) == 1
    assert _count(client, 200) == before + 2
    path = f"/webhooks/whatsapp/{channel['id']}"
    assert any(f"request id=fast123 method=POST path={path} status=200" in r.getMessage()
               for r in caplog.records)


def _answers(client, channel_id: str) -> list[tuple[int, bytes, str]]:
    """Each way a delivery is refused: (status, body, content type)."""
    limit = get_settings().max_webhook_bytes
    cases = [
        ("whatsapp", channel_id, TEXT, {}),                                     # no signature
        ("whatsapp", channel_id, TEXT, {"X-Hub-Signature-256": "sha256=00"}),   # a wrong one
        ("whatsapp", "0" * 32, TEXT, {}),                                       # unknown channel
        ("sms", channel_id, TEXT, {}),                                          # unknown kind
        ("telegram", channel_id, TEXT, {}),                                     # another kind
        ("whatsapp", "x" * 65, TEXT, {}),                                       # a too long id
        ("whatsapp", channel_id, b'{"a": "' + b"x" * limit + b'"}', {}),        # too large
        ("whatsapp", channel_id, b'{"entry": [', None),                         # not JSON
        ("whatsapp", channel_id, b"\xff\xfe", None),                            # not UTF-8
    ]
    answers = []
    for kind, target, body, headers in cases:
        answer = post_webhook(client, kind, target, body, headers=headers)
        answers.append((answer.status_code, answer.data, answer.content_type))
    return answers


def test_refusals_are_those_of_the_flask_view(app, client, tenant, emulator, monkeypatch):
    """Status, body bytes and type of every refusal, fast path against the Flask view itself."""
    channel = create_channel(client, tenant, "whatsapp", emulator)
    fast = _answers(client, channel["id"])
    monkeypatch.setattr(app, "wsgi_app", app.wsgi_app.flask_wsgi)  # Flask alone
    assert _answers(client, channel["id"]) == fast
    assert [status for status, _, _ in fast] == [401, 401, 404, 404, 404, 404, 413, 400, 400]
    assert {kind for _, _, kind in fast} == {"application/json"}
    bodies = [json.loads(body) for _, body, _ in fast]
    assert all(body["success"] is False and body["error"]["code"] for body in bodies)
    assert _stored() == []


def test_a_database_error_is_handed_to_flask_with_the_body_as_read(client, tenant, emulator,
                                                                     monkeypatch):
    """The fast path's INSERT fails once; Flask runs the delivery again on the same bytes."""
    channel = create_channel(client, tenant, "whatsapp", emulator)
    database = hubdb.db.obj
    execute_sql = database.execute_sql
    failures = []

    def flaky(sql, *args, **kwargs):
        if sql.lstrip().upper().startswith("INSERT") and not failures:
            failures.append(sql)
            raise peewee.OperationalError("server closed the connection unexpectedly")
        return execute_sql(sql, *args, **kwargs)

    monkeypatch.setattr(database, "execute_sql", flaky)
    answer = post_webhook(client, "whatsapp", channel["id"], TEXT)
    monkeypatch.undo()
    assert len(failures) == 1
    assert answer.status_code == 200 and answer.get_json()["duplicate"] is False
    assert len(_stored()) == 1


def test_chunked_and_sized_bodies_over_a_real_server(hub_env, client, tenant, emulator):
    """gunicorn: a chunked body (no Content-Length) goes to Flask, a sized one stays below it;
    both are committed once."""
    channel = create_channel(client, tenant, "whatsapp", emulator)
    web = WebProcess(dict(hub_env, PYTHONPATH=str(ROOT)))
    try:
        answers = []
        for chunked in (True, False, True):
            conn = http.client.HTTPConnection("127.0.0.1", web.port, timeout=10)
            body = iter([TEXT[:100], TEXT[100:]]) if chunked else TEXT
            conn.request("POST", f"/webhooks/whatsapp/{channel['id']}", body=body,
                         headers=signed_headers(channel["id"], TEXT), encode_chunked=chunked)
            response = conn.getresponse()
            answers.append((response.status, json.loads(response.read())))
            conn.close()
    finally:
        web.stop()
    assert [status for status, _ in answers] == [200, 200, 200]
    assert [body["duplicate"] for _, body in answers] == [False, True, True]
    assert len({body["eventId"] for _, body in answers}) == 1
    assert len(_stored()) == 1
