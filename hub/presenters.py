"""The API's JSON shapes of conversations and messages, shared by REST and realtime events.

The product documents name the same things twice (a session of the Chat API is a conversation
of the CRM module); these dicts carry both sets of names so either client reads them.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Optional

from hub.models import Attachment, Channel, Contact, Conversation, Message


def iso(value: Optional[datetime]) -> Optional[str]:
    if value is None:
        return None
    return value.isoformat(timespec="milliseconds") + "Z"


def attachment_dict(a: Attachment) -> dict[str, Any]:
    metadata = {k: v for k, v in (("width", a.width), ("height", a.height),
                                  ("duration", a.duration)) if v is not None}
    return {
        "id": a.id,
        "url": f"/api/chat/attachments/{a.id}",
        "thumbnailUrl": f"/api/chat/attachments/{a.id}?thumbnail=1" if a.thumbnail_path else None,
        "type": a.content_type,
        "name": a.name,
        "size": a.size,
        "kind": a.kind,
        "status": a.status,
        "metadata": metadata,
    }


def message_dict(m: Message, attachments: Optional[Iterable[Attachment]] = None,
                 platform: Optional[str] = None) -> dict[str, Any]:
    if attachments is None:
        attachments = list(m.attachments)
    status = m.status if m.direction == "out" else ("read" if m.seen_by_agent_at else "delivered")
    return {
        "id": m.id,
        "conversationId": m.conversation_id,
        "sessionId": m.conversation_id,
        "content": "" if m.deleted_at else m.content,
        "sender": "user" if m.sender_type == "customer" else "support",
        "senderType": m.sender_type,
        "senderId": m.sender_user_id,
        "senderName": m.sender_name,
        "direction": m.direction,
        "messageType": m.message_type,
        "platform": platform,
        "timestamp": iso(m.timestamp),
        "read": bool(m.read_at if m.direction == "out" else m.seen_by_agent_at),
        "status": status,
        "errorCode": m.error_code,
        "errorReason": m.error_reason,
        "isPrivate": m.is_private,
        "replyTo": m.reply_to_id,
        "payload": m.payload or {},
        "editedAt": iso(m.edited_at),
        "deletedAt": iso(m.deleted_at),
        "attachments": [attachment_dict(a) for a in attachments],
    }


def contact_brief(c: Optional[Contact]) -> Optional[dict[str, Any]]:
    if c is None:
        return None
    return {"id": c.id, "name": c.name, "phone": c.phone, "email": c.email,
            "avatar": c.avatar, "isClient": c.is_client}


def conversation_dict(c: Conversation, channel: Optional[Channel] = None,
                      contact: Optional[Contact] = None) -> dict[str, Any]:
    channel = channel if channel is not None else (c.channel if c.channel_id else None)
    contact = contact if contact is not None else (c.contact if c.contact_id else None)
    return {
        "id": c.id,
        "userId": c.contact_id or c.created_by_id,
        "agentId": c.assignee_id,
        "assignedTo": c.assignee_id,
        "status": c.status,
        "startedAt": iso(c.started_at),
        "endedAt": iso(c.ended_at),
        "reopenedAt": iso(c.reopened_at),
        "subject": c.subject,
        "priority": c.priority,
        "tags": c.tags or [],
        "channel": {"id": channel.id, "kind": channel.kind, "name": channel.name}
        if channel else None,
        "platform": channel.kind if channel else None,
        "contact": contact_brief(contact),
        "prospectId": c.contact_id,
        "isClientConverted": bool(contact and contact.is_client),
        "unreadCount": c.unread_count,
        "lastMessage": c.last_message_preview,
        "lastActivity": iso(c.last_message_at or c.started_at),
        "botEnabled": c.bot_enabled,
        "createdAt": iso(c.started_at),
        "updatedAt": iso(c.updated_at),
    }
