"""The visitor socket `/widget/ws/<widgetId>?token=&host=`: replies, typing and read marks live.

Server to visitor: `hello`, `message` (an agent's reply, in the visitor's shape), `typing`,
`status` (delivered/read marks, including agents reading the visitor's messages). Visitor to server: `ack` (delivered), `read`, `typing`, `ping`. A reconnecting widget
reloads its thread after `hello`, so nothing published while it was away is lost.
"""
from __future__ import annotations

import json
import logging
import queue
import threading
from typing import Any

from flask import request
from flask_sock import Sock

from hub import db
from hub.errors import HubError
from hub.models import Widget
from hub.widget_inbound import check_rate, visitor_typing
from hub.widget_visitors import mark_seen, open_conversation, visitor_contact, visitor_message
from web.widget import bp
from web.widget_guard import guard, visitor
from web.widget_live import VisitorSocket, hub

log = logging.getLogger("hub.widget.socket")

# Flask-Sock only builds the route; the app-wide options come from SOCK_SERVER_OPTIONS. Routes
# live on this blueprint, so this instance never clashes with the realtime lane's Sock.
sock = Sock()
# Seconds between refreshes of the visitor's conversation ids (for agents' typing events).
REFRESH_SECONDS = 10


def _refresh_conversations(widget: Widget, live: VisitorSocket) -> None:
    contact = visitor_contact(widget, live.visitor_id)
    conversation = open_conversation(widget, contact) if contact else None
    live.conversation_ids = {conversation.id} if conversation else set()


def _outgoing(widget: Widget, live: VisitorSocket, event: dict[str, Any]) -> dict[str, Any] | None:
    """The frame to send the visitor for one fan-out event (None to skip)."""
    if event.get("type") == "message":
        with db.connection():
            message = visitor_message(widget, live.visitor_id, event["data"].get("messageId"))
            if message and message["from"] == "agent":
                live.conversation_ids.add(message["conversationId"])
        return {"type": "message", "message": message} if message else None
    if event.get("type") == "seen":
        with db.connection():
            message = visitor_message(widget, live.visitor_id, event.get("messageId"))
        if not message or message["from"] != "visitor":
            return None
        # Both ids: a message sent in this page is still known by its client id.
        ids = [i for i in (message["id"], message.get("clientMessageId")) if i]
        return {"type": "status", "ids": ids, "status": "read"}
    if event.get("type") in ("typing", "status"):
        return {"type": event["type"], **event.get("data", {})}
    return None


def _pump(ws, widget: Widget, live: VisitorSocket, stop: threading.Event) -> None:
    """The one writer of the socket: everything sent goes through the visitor's queue."""
    while not stop.is_set():
        try:
            event = live.events.get(timeout=1)
        except queue.Empty:
            continue
        if event.get("type") == "__close__":
            return
        try:
            frame = event["frame"] if "frame" in event else _outgoing(widget, live, event)
            if frame:
                ws.send(json.dumps(frame, default=str))
        except Exception:  # the socket closed under us; the reader ends the loop
            stop.set()
            return


def _handle(widget: Widget, live: VisitorSocket, claims, raw: str) -> None:
    try:
        frame = json.loads(raw)
    except ValueError:
        return
    if not isinstance(frame, dict):
        return
    kind = frame.get("type")
    with db.connection():
        if kind in ("ack", "read") and isinstance(frame.get("ids"), list):
            ids = [i for i in frame["ids"] if isinstance(i, str)]
            done = mark_seen(widget, live.visitor_id, ids, "delivered" if kind == "ack" else "read")
            if done:
                live.put({"frame": {"type": "status", "ids": done,
                                    "status": "delivered" if kind == "ack" else "read"}})
        elif kind == "typing":
            try:
                check_rate(widget, live.visitor_id, "socket", what="typing")
                visitor_typing(widget, claims, bool(frame.get("typing")))
            except HubError:
                pass
        elif kind == "ping":
            live.put({"frame": {"type": "pong"}})


@bp.before_request
def refuse_before_upgrade():
    """Check origin and token before the handshake, so a refusal is a plain 403/401 JSON."""
    if request.path.startswith("/widget/ws/") and request.view_args:
        widget, _ = guard(request.view_args.get("widget_id", ""))
        visitor(widget)


@sock.route("/widget/ws/<widget_id>", bp=bp)
def visitor_socket(ws, widget_id: str):
    try:
        with db.connection():
            widget, _ = guard(widget_id)
            claims, _ = visitor(widget)
    except HubError as exc:
        # Browsers hide a refused handshake's body; a close frame carries the reason instead.
        ws.send(json.dumps({"type": "error", **exc.to_dict()["error"]}))
        ws.close(reason=4000 + exc.status, message=exc.code)
        return
    # A socket lives for hours: give the request's database connection back to the pool now.
    db.close_connection()
    live = VisitorSocket(widget.channel_id, claims.visitor_id)
    with db.connection():
        _refresh_conversations(widget, live)
    hub.register(live)
    stop = threading.Event()
    writer = threading.Thread(target=_pump, args=(ws, widget, live, stop), daemon=True)
    writer.start()
    live.put({"frame": {"type": "hello", "visitorId": claims.visitor_id}})
    idle = 0.0
    try:
        while not stop.is_set() and ws.connected:
            raw = ws.receive(timeout=1)
            if raw is None:
                idle += 1
                if idle >= REFRESH_SECONDS:
                    idle = 0
                    with db.connection():
                        _refresh_conversations(widget, live)
                continue
            _handle(widget, live, claims, raw)
    finally:
        stop.set()
        hub.unregister(live)
        live.put({"type": "__close__"})
        writer.join(timeout=2)
        log.debug("visitor socket closed visitor=%s", claims.visitor_id)
