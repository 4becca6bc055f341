"""A visitor's message through the real pipeline (raw event, worker, conversation) and an agent's
reply through the real delivery job back to the visitor's socket."""
from __future__ import annotations

import json
import time


from hub import db as hubdb
from hub.auth import Principal
from hub.models import Contact, Conversation, Message, WebhookEvent
from hub.outbound import send_agent_message
from tests.widget.helpers import SITE, ready_widget, start
from tests.widget.test_visitor_socket import _connect, _frames



def _send(client, widget, token, client_id, text):
    return client.post(widget.api("messages"), json={"clientMessageId": client_id, "text": text},
                       headers={"Origin": SITE, "X-Widget-Token": token})


def test_visitor_message_is_stored_once_by_the_worker_and_opens_a_conversation(
        client, tenant, worker):
    widget = ready_widget(client, tenant)
    session = start(client, widget, form={"name": "Camille", "email": "camille@example.org",
                                          "order": "A-1"}).get_json()
    first = _send(client, widget, session["token"], "c-1", "Hello, do you ship to Lyon?")
    assert first.status_code == 202 and first.get_json()["duplicate"] is False
    again = _send(client, widget, session["token"], "c-1", "Hello, do you ship to Lyon?")
    assert again.status_code == 202 and again.get_json()["duplicate"] is True
    assert _send(client, widget, session["token"], "c-2", "And to Nice?").status_code == 202
    worker.drain()
    with hubdb.db.connection_context():
        assert WebhookEvent.select().where(WebhookEvent.channel == widget.channel_id).count() == 2
        conversations = list(Conversation.select().where(Conversation.channel == widget.channel_id))
        assert len(conversations) == 1
        contact = Contact.get_by_id(conversations[0].contact_id)
        assert (contact.name, contact.email) == ("Camille", "camille@example.org")
        texts = [m.content for m in Message.select().where(
            Message.conversation == conversations[0].id).order_by(Message.timestamp)]
    assert texts == ["Hello, do you ship to Lyon?", "And to Nice?"]
    # The conversation is in the agents' API like any other channel's.
    thread = client.get(widget.api("messages"), headers={
        "Origin": SITE, "X-Widget-Token": session["token"]}).get_json()["messages"]
    assert [(m["from"], m["clientMessageId"]) for m in thread] == [("visitor", "c-1"),
                                                                   ("visitor", "c-2")]
    stats = client.get(f"/api/widgets/{widget.id}/stats", headers=tenant.headers).get_json()
    assert stats["totals"]["conversations"] == 1 and stats["totals"]["messages"] == 2


def test_agent_reply_is_delivered_to_the_visitor_socket(client, tenant, worker, live_server):
    widget = ready_widget(client, tenant)
    session = start(client, widget).get_json()
    assert _send(client, widget, session["token"], "c-1", "Anyone there?").status_code == 202
    worker.drain()
    ws, _ = _connect(live_server, widget, session["token"])
    with hubdb.db.connection_context():
        conversation = Conversation.get(Conversation.channel == widget.channel_id)
        reply = send_agent_message(Principal(tenant.admin.id, tenant.company.id, "admin"),
                                   conversation, content="Hi Camille, how can I help?")
    frame = _frames(ws, "message", timeout=20)
    assert frame["message"]["id"] == reply.id
    assert frame["message"]["text"] == "Hi Camille, how can I help?"
    ws.send(json.dumps({"type": "ack", "ids": [reply.id]}))
    _frames(ws, "status")
    worker.drain()
    with hubdb.db.connection_context():
        assert Message.get_by_id(reply.id).status in ("delivered", "read")
    ws.close()


def test_an_agent_reading_shows_seen_in_the_widget(client, tenant, worker, live_server):
    """Given a visitor's message, when an agent reads it, then the visitor's socket hears "read"."""
    widget = ready_widget(client, tenant)
    session = start(client, widget).get_json()
    assert _send(client, widget, session["token"], "c-seen", "Is this seen?").status_code == 202
    worker.drain()
    ws, _ = _connect(live_server, widget, session["token"])
    with hubdb.db.connection_context():
        conversation = Conversation.get(Conversation.channel == widget.channel_id)
        incoming = Message.get(Message.conversation == conversation.id)
    time.sleep(0.5)  # the socket has registered the visitor's conversation
    read = client.put(f"/api/chat/sessions/{conversation.id}/read",
                      json={"messageIds": [incoming.id]}, headers=tenant.headers)
    assert read.status_code == 204
    frame = _frames(ws, "status", timeout=20)
    assert frame["status"] == "read" and set(frame["ids"]) >= {incoming.id, "c-seen"}
    ws.close()
