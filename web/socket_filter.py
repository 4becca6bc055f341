"""Who may see which realtime event, and the wire shape each socket kind sends.

`/ws` (agents) gets the hub event plus its name in the CRM module's vocabulary:
    {"event": "new_message", "type": "message.created", "id": 41, "conversationId": ..,
     "data": {...}, "ts": 1717000000.1}
`/ws/chat/<sessionId>` gets the Chat API shape, one conversation only:
    {"type": "message" | "typing" | "session_update", "id": 41, "data": {...}}
"""
from __future__ import annotations

import json
import struct
from typing import Any, Optional

from hub.auth import Principal
from hub.companies import company_settings
from hub.db import connection
from hub.models import Company, Conversation

# Hub event type -> the server event names of the CRM chat module (seed 004).
CRM_EVENT_NAMES = {
    "message.created": "new_message",
    "message.updated": "message_updated",
    "conversation.created": "conversation_updated",
    "conversation.updated": "conversation_updated",
    "contact.updated": "prospect_updated",
    "typing": "typing",
    "presence": "presence",
    "notification.created": "notification",
}
# Hub event type -> the Chat API's event types (seed 002) on `/ws/chat/<sessionId>`.
CHAT_EVENT_TYPES = {
    "message.created": "message",
    "message.updated": "message",
    "typing": "typing",
    "conversation.created": "session_update",
    "conversation.updated": "session_update",
}
# Conversations whose visibility a restricted viewer remembers (bounded per socket).
VISIBILITY_CACHE_MAX = 2000


def text_frame(text: str) -> bytes:
    """One unmasked, final WebSocket text frame (RFC 6455 section 5.2) carrying `text`."""
    payload = text.encode()
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x81, size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", 0x81, 126, size)
    else:
        header = struct.pack("!BBQ", 0x81, 127, size)
    return header + payload


class Viewer:
    """One socket's principal and the rules that filter its events."""

    def __init__(self, principal: Principal, conversation_id: Optional[str] = None):
        self.principal = principal
        self.company_id = principal.company_id
        self.user_id = principal.user_id
        self.conversation_id = conversation_id  # set: a `/ws/chat/<sessionId>` socket
        self.is_visitor = principal.role == "user"
        with connection():
            company = Company.get_by_id(principal.company_id)
            assigned_only = company_settings(company)["visibility"] == "assigned"
        # Restricted viewers see only some conversations, looked up and remembered per id.
        self.restricted = self.is_visitor or (principal.role == "support" and assigned_only)
        self._visible: dict[str, bool] = {}

    def render(self, event: dict[str, Any]) -> Optional[str]:
        """The text to send for `event`, or None if this viewer must not get it."""
        if not self._allowed(event):
            return None
        if self.conversation_id is not None:
            return self._render_chat(event)
        cache = "_wire_crm"  # the same text for every agent socket: encode once per event
        if cache not in event:
            event[cache] = json.dumps({
                "event": CRM_EVENT_NAMES.get(event["type"], event["type"]),
                "type": event["type"], "id": event["id"],
                "conversationId": event.get("conversationId"),
                "data": event.get("data"), "ts": event.get("ts")}, default=str)
        return event[cache]

    def frame(self, event: dict[str, Any]) -> Optional[bytes]:
        """The WebSocket frame for `event`, built once per event and wire shape, or None."""
        text = self.render(event)
        if text is None:
            return None
        cache = "_frame_chat" if self.conversation_id is not None else "_frame_crm"
        frame = event.get(cache)
        if frame is None:
            frame = event[cache] = text_frame(text)
        return frame

    def _render_chat(self, event: dict[str, Any]) -> Optional[str]:
        kind = CHAT_EVENT_TYPES.get(event["type"])
        if kind is None:
            return None
        cache = "_wire_chat"
        if cache not in event:
            event[cache] = json.dumps({"type": kind, "id": event["id"], "data": event.get("data"),
                                       "event": event["type"]}, default=str)
        return event[cache]

    def in_audience(self, event: dict[str, Any]) -> bool:
        """False if the event names its audience and this viewer is not in it.

        Cheap and never touches the database: the dispatcher asks it for every socket of the
        company before queueing an event.
        """
        audience = event.get("audience")
        if not audience:
            return True
        if "userIds" in audience and self.user_id not in audience["userIds"]:
            return False
        return "roles" not in audience or self.principal.role in audience["roles"]

    def _allowed(self, event: dict[str, Any]) -> bool:
        if not self.in_audience(event):
            return False
        audience = event.get("audience") or {}
        conversation_id = event.get("conversationId")
        if self.conversation_id is not None and conversation_id != self.conversation_id:
            return False
        data = event.get("data") if isinstance(event.get("data"), dict) else {}
        if event["type"] == "typing" and data.get("userId") == self.user_id:
            return False  # nobody needs their own typing echoed
        if self.is_visitor and data.get("isPrivate"):
            return False  # internal notes stay with the team
        if conversation_id is None:
            # Company-wide events (presence, contacts, notifications) are for the team only.
            return not self.is_visitor or "userIds" in audience
        if not self.restricted:
            return True
        return self._may_see(conversation_id, event["type"], data)

    def _may_see(self, conversation_id: str, type_: str, data: dict[str, Any]) -> bool:
        before = self._visible.get(conversation_id)
        if type_.startswith("conversation.") and not self.is_visitor and "agentId" in data:
            now = data.get("agentId") == self.user_id
            self._remember(conversation_id, now)
            return now or bool(before)  # the event that takes it away still reaches them
        if before is None:
            before = self._lookup(conversation_id)
            self._remember(conversation_id, before)
        return before

    def _lookup(self, conversation_id: str) -> bool:
        with connection():
            row = (Conversation.select(Conversation.assignee, Conversation.created_by)
                   .where((Conversation.id == conversation_id)
                          & (Conversation.company == self.company_id)).first())
        if row is None:
            return False
        if self.is_visitor:
            return row.created_by_id == self.user_id
        return row.assignee_id == self.user_id

    def _remember(self, conversation_id: str, visible: bool) -> None:
        if len(self._visible) >= VISIBILITY_CACHE_MAX:
            self._visible.clear()
        self._visible[conversation_id] = visible
