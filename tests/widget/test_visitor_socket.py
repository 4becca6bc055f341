"""The visitor socket: agent replies pushed by the widget connector, delivered and read marks."""
from __future__ import annotations

import json
import time

import pytest
import requests
import websocket

from connectors.base import OutboundMessage
from connectors.registry import get_connector
from hub import db as hubdb
from hub.auth import Principal
from hub.channel_config import channel_config
from hub.conversations import ensure_open_conversation
from hub.models import Channel, ContactIdentity, Message
from hub.outbound import send_agent_message
from tests.widget.helpers import SITE, ready_widget, start


def _connect(live_server, widget, token, host=SITE):
    url = live_server.url.replace("http", "ws") + f"/widget/ws/{widget.id}?token={token}&host={host}"
    ws = websocket.create_connection(url, timeout=10)
    hello = json.loads(ws.recv())
    assert hello["type"] == "hello"
    return ws, hello


def _frames(ws, wanted, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        frame = json.loads(ws.recv())
        if frame["type"] == wanted:
            return frame
    raise AssertionError(f"no {wanted} frame")


def _agent_reply(tenant, widget, visitor_id, text):
    with hubdb.db.connection_context():
        identity = ContactIdentity.get((ContactIdentity.channel == widget.channel_id)
                                       & (ContactIdentity.external_id == visitor_id))
        conversation, _ = ensure_open_conversation(tenant.company.id, widget.channel_id,
                                                   identity.contact_id)
        principal = Principal(tenant.admin.id, tenant.company.id, "admin")
        message = send_agent_message(principal, conversation, content=text)
        note = send_agent_message(principal, conversation, content="internal: VIP", is_private=True)
        return message, note, channel_config(Channel.get_by_id(widget.channel_id))


def test_connector_send_reaches_the_visitor_socket_and_marks_delivered_then_read(
        client, tenant, live_server):
    widget = ready_widget(client, tenant)
    session = start(client, widget).get_json()
    ws, hello = _connect(live_server, widget, session["token"])
    assert hello["visitorId"] == session["visitorId"]
    message, note, config = _agent_reply(tenant, widget, session["visitorId"], "Yes, we ship to Lyon")
    result = get_connector("widget").send(
        config, OutboundMessage(recipient_id=session["visitorId"], text=message.content,
                                idempotency_key=message.id), requests.Session())
    assert result.provider_message_ids == [message.id]
    frame = _frames(ws, "message")
    assert frame["message"]["text"] == "Yes, we ship to Lyon"
    assert frame["message"]["from"] == "agent" and frame["message"]["senderName"] == "Admin"
    ws.send(json.dumps({"type": "ack", "ids": [message.id]}))
    assert _frames(ws, "status") == {"type": "status", "ids": [message.id], "status": "delivered"}
    ws.send(json.dumps({"type": "read", "ids": [message.id, note.id]}))
    assert _frames(ws, "status")["status"] == "read"
    with hubdb.db.connection_context():
        row = Message.get_by_id(message.id)
        assert row.status == "read" and row.delivered_at and row.read_at
        assert Message.get_by_id(note.id).status == "sent"  # notes never reach the visitor
    # The private note is not in the visitor's thread; the reply is.
    thread = client.get(widget.api("messages"), headers={
        "Origin": SITE, "X-Widget-Token": session["token"]}).get_json()["messages"]
    assert [m["text"] for m in thread] == ["Yes, we ship to Lyon"]
    ws.close()


def test_another_visitor_gets_nothing(client, tenant, live_server):
    widget = ready_widget(client, tenant)
    alice = start(client, widget).get_json()
    bob = start(client, widget, form={"name": "Bob", "email": "bob@example.org"}).get_json()
    ws, _ = _connect(live_server, widget, bob["token"])
    message, _, config = _agent_reply(tenant, widget, alice["visitorId"], "for Alice only")
    get_connector("widget").send(config, OutboundMessage(
        recipient_id=alice["visitorId"], idempotency_key=message.id), requests.Session())
    ws.settimeout(1.5)
    with pytest.raises(websocket.WebSocketTimeoutException):
        while True:
            frame = json.loads(ws.recv())
            assert frame["type"] != "message"
    ws.close()


def test_socket_refuses_other_origins_and_bad_tokens(client, tenant, live_server):
    widget = ready_widget(client, tenant)
    token = start(client, widget).get_json()["token"]
    base = live_server.url.replace("http", "ws") + f"/widget/ws/{widget.id}"
    for query, status in ((f"?token={token}&host=https://evil.example", 403),
                          (f"?token={token}", 403), ("?token=junk&host=" + SITE, 401)):
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            websocket.create_connection(base + query, timeout=5)
        assert refused.value.status_code == status
    cross = websocket.create_connection(base + f"?token={token}", timeout=5, origin=SITE)
    assert json.loads(cross.recv())["type"] == "hello"
    cross.close()


def test_agent_typing_reaches_the_visitor_and_visitor_typing_reaches_agents(
        client, tenant, live_server):
    from hub.realtime import fanout_channel
    from hub.redis_client import get_redis
    from hub.typing_indicator import relay_typing

    widget = ready_widget(client, tenant)
    session = start(client, widget).get_json()
    message, _, _ = _agent_reply(tenant, widget, session["visitorId"], "hello")
    ws, _ = _connect(live_server, widget, session["token"])
    relay_typing(tenant.company.id, message.conversation_id, tenant.admin.id, True, name="Admin")
    frame = _frames(ws, "typing")
    assert frame["typing"] is True and frame["name"] == "Admin"
    listener = get_redis().pubsub(ignore_subscribe_messages=True)
    listener.subscribe(fanout_channel())
    time.sleep(0.2)
    ws.send(json.dumps({"type": "typing", "typing": True}))
    deadline, seen = time.time() + 10, None
    while seen is None and time.time() < deadline:
        raw = listener.get_message(timeout=1)
        if raw and json.loads(raw["data"])["type"] == "typing":
            seen = json.loads(raw["data"])
    assert seen and seen["data"]["senderType"] == "customer" and seen["data"]["isTyping"] is True
    assert seen["conversationId"] == message.conversation_id
    listener.close()
    ws.close()
