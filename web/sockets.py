"""WebSockets: `/ws` (an agent's company stream with requests) and `/ws/chat/<sessionId>`.

Auth: `Authorization: Bearer <token>` or a `token` query parameter; a bad token closes with
4401, an unknown or foreign session with 4404, a session the caller may not see with 4403.

Catch-up: a client passes `lastEventId` (query parameter, or a first message
`{"type": "resume", "lastEventId": N}`). The socket subscribes first (live events are held),
replays the history after N, then sends the held events it has not sent yet: no gap, no
duplicate. A gap older than the history answers `{"type": "reload"}`. Then
`{"type": "ready", "lastEventId": M}` marks the start of live events.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Optional

from flask import Blueprint, Flask, request
from flask_sock import Sock
from simple_websocket import ConnectionClosed

from hub import db, presence
from hub.auth import Principal, principal_from_token, token_from_header
from hub.errors import HubError
from hub.models import Conversation
from hub.realtime import history_since, last_event_id
from web.realtime_hub import Connection, get_hub
from web.socket_filter import Viewer
from web.socket_requests import handle

log = logging.getLogger("web.sockets")

bp = Blueprint("sockets", __name__)
sock = Sock()

# Close codes: the HTTP status a REST call would get, in the private 4000-4999 range.
CLOSE_UNAUTHORIZED, CLOSE_BAD_REQUEST, CLOSE_FORBIDDEN, CLOSE_NOT_FOUND = 4401, 4400, 4403, 4404
# How long a client without `lastEventId` in the URL may take to send its `resume` message.
RESUME_WAIT_SECONDS = 0.5


def init_app(app: Flask) -> None:
    """Attach Flask-Sock; the fan-out subscription starts with the first socket."""
    sock.init_app(app)


@sock.route("/ws", bp=bp)
def agent_stream(ws: Any) -> None:
    principal = _authenticate(ws)
    if principal is not None:
        _serve(ws, principal, None)


@sock.route("/ws/chat/<session_id>", bp=bp)
def chat_stream(ws: Any, session_id: str) -> None:
    principal = _authenticate(ws)
    if principal is None:
        return
    conversation = (Conversation.select(Conversation.id, Conversation.company)
                    .where(Conversation.id == session_id[:64]).first())
    if conversation is None or conversation.company_id != principal.company_id:
        _close(ws, CLOSE_NOT_FOUND, "session not found")
        return
    from hub.conversations import visible

    if not visible(principal).where(Conversation.id == conversation.id).exists():
        _close(ws, CLOSE_FORBIDDEN, "you may not see this session")
        return
    _serve(ws, principal, conversation.id)


def _authenticate(ws: Any) -> Optional[Principal]:
    token = token_from_header(request.headers.get("Authorization")) or request.args.get("token", "")
    try:
        return principal_from_token(token)
    except HubError as exc:
        _close(ws, CLOSE_UNAUTHORIZED, exc.message)
        return None


def _close(ws: Any, code: int, message: str) -> None:
    try:
        ws.close(reason=code, message=message[:100])
    except ConnectionClosed:
        pass


def _serve(ws: Any, principal: Principal, conversation_id: Optional[str]) -> None:
    """Catch up, go live, then answer requests until the socket closes."""
    viewer = Viewer(principal, conversation_id)
    db.close_connection()  # an idle socket must not hold a pooled database connection
    hub = get_hub()
    conn = Connection(ws, viewer)
    hub.add(conn)  # subscribe first: what is published from now on is held, not lost
    try:
        first, resume_from = _resume_point(ws)
        if resume_from is False:
            _close(ws, CLOSE_BAD_REQUEST, "lastEventId must be a non-negative integer")
            return
        _catch_up(conn, resume_from)
        conn.go_live()
        with db.connection():
            presence.socket_opened(principal.user_id, conn.socket_id)
        conn.counted = True
        if first is not None:
            _on_message(conn, principal, first)
        while not conn.closed:
            text = ws.receive()
            if text is None:
                break
            _on_message(conn, principal, text)
    except (ConnectionClosed, OSError):
        pass
    finally:
        hub.remove(conn)
        conn.stop_sender()
        if conn.counted:  # a socket refused before it counted changes nobody's presence
            _presence_closed(principal, conn)


def _presence_closed(principal: Principal, conn: Connection) -> None:
    try:
        with db.connection():
            presence.socket_closed(principal.user_id, conn.socket_id)
    except Exception:  # the TTL of the socket's entry ends it anyway
        log.exception("presence update on close failed")


def _resume_point(ws: Any) -> tuple[Optional[str], Any]:
    """(a first message to handle later, lastEventId or None); False for a bad id."""
    raw = request.args.get("lastEventId")
    if raw is not None:
        return None, _parse_id(raw)
    first = ws.receive(timeout=RESUME_WAIT_SECONDS)
    if first is None:
        return None, None
    try:
        message = json.loads(first)
    except ValueError:
        return first, None
    if isinstance(message, dict) and message.get("type") == "resume":
        return None, _parse_id(message.get("lastEventId"))
    return first, None


def _parse_id(raw: Any) -> Any:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return False
    return value if value >= 0 and not isinstance(raw, bool) else False


def _catch_up(conn: Connection, resume_from: Optional[int]) -> None:
    """Replay what the client missed (or tell it to reload); set where live events start."""
    company_id = conn.company_id
    if resume_from is None:
        conn.last_sent = last_event_id(company_id)
    else:
        missed = history_since(company_id, resume_from)
        if missed is None:
            conn.last_sent = last_event_id(company_id)
            conn.send_text(json.dumps({"type": "reload", "lastEventId": conn.last_sent}))
        else:
            conn.last_sent = resume_from
            for event in missed:
                conn.send_event(event)
    conn.send_text(json.dumps({"type": "ready", "lastEventId": conn.last_sent}))


def _on_message(conn: Connection, principal: Principal, text: Any) -> None:
    try:
        message = json.loads(text)
    except (TypeError, ValueError):
        conn.send_text(json.dumps({"id": None, "ok": False, "error": {
            "code": "bad_request", "message": "messages are JSON objects"}}))
        return
    with db.connection():
        presence.touch(principal.user_id)
        if isinstance(message, dict) and message.get("type") in ("ping", "activity", "resume"):
            reply: dict[str, Any] = {"type": "pong", "id": message.get("id")}
        else:
            reply = handle(principal, message)
    conn.send_text(json.dumps(reply, default=str))
