"""Read receipts: an agent reads a conversation; counts, events and the provider follow.

The reader's `privacy.readReceipts` decides whether the customer's side learns of the read:
when off, the messages are still marked (unread counts drop for the team) but neither the
provider (blue ticks) nor the customer's socket hears of it; only agents get the events.
"""
from __future__ import annotations

from typing import Any, Optional

from hub.auth import Principal
from hub.companies import user_settings
from hub.db import transaction
from hub.messages import mark_seen_by_agent
from hub.models import Conversation, Message, User
from hub.presenters import conversation_dict, message_dict
from hub.realtime import publish_after_commit

# Agents' side of the inbox: who still sees a read the reader keeps private.
AGENT_ROLES = ["admin", "support"]
# Per-message events after a read; beyond this the conversation event alone tells clients.
MAX_MESSAGE_EVENTS = 100


def shares_read_receipts(user_id: str) -> bool:
    user = User.get_or_none(User.id == user_id)
    return bool(user and user_settings(user)["privacy"].get("readReceipts", True))


def mark_as_read(principal: Principal, conversation: Conversation,
                 message_ids: Optional[list[str]] = None) -> dict[str, Any]:
    """Mark the conversation's incoming messages (or those of `message_ids`) read by the agent."""
    shared = shares_read_receipts(principal.user_id)
    audience = None if shared else {"roles": AGENT_ROLES}
    with transaction():
        unseen = (Message.select(Message.id)
                  .where((Message.conversation == conversation.id) & (Message.direction == "in")
                         & (Message.seen_by_agent_at.is_null())))
        if message_ids is not None:
            unseen = unseen.where(Message.id.in_(message_ids))
        ids = [m.id for m in unseen]
        changed = mark_seen_by_agent(conversation, ids, notify_provider=shared) if ids else 0
        row = Conversation.get_by_id(conversation.id)
        if changed:
            for message in Message.select().where(Message.id.in_(ids[:MAX_MESSAGE_EVENTS])):
                publish_after_commit(row.company_id, "message.updated", message_dict(message),
                                     conversation_id=row.id, audience=audience)
            publish_after_commit(row.company_id, "conversation.updated", conversation_dict(row),
                                 conversation_id=row.id, audience=audience)
    return {"conversationId": row.id, "marked": changed, "unreadCount": row.unread_count,
            "receiptsShared": shared}
