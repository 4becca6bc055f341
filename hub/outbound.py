"""Agents' messages: stored as `queued`, delivered by a job enqueued after the commit."""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Optional

from hub.auth import Principal
from hub.companies import company_settings
from hub.db import transaction
from hub.errors import Conflict, Forbidden, NotFound, Unprocessable
from hub.jobs import enqueue_after_commit
from hub.messages import insert_message, touch_conversation
from hub.models import Attachment, Channel, Company, Conversation, Delivery, User, utcnow
from hub.presenters import message_dict
from hub.realtime import publish_after_commit

# Kinds whose messages go through a provider (the widget delivers over its socket).
PROVIDER_KINDS = ("whatsapp", "instagram", "messenger", "telegram")
# Meta allows replies with the HUMAN_AGENT tag up to this long after the contact's last message.
HUMAN_AGENT_WINDOW = timedelta(days=7)
STANDARD_WINDOW = timedelta(hours=24)


def reply_window(channel: Channel, conversation: Conversation,
                 template: Optional[dict[str, Any]]) -> Optional[str]:
    """The tag a reply needs (None when inside the window); 422 when no reply is allowed."""
    if channel.kind not in ("whatsapp", "instagram", "messenger"):
        return None
    last = conversation.last_customer_message_at
    age = utcnow() - last if last else None
    if channel.kind == "whatsapp":
        if template is None and (age is None or age > STANDARD_WINDOW):
            raise Unprocessable("outside the 24-hour customer service window WhatsApp allows a "
                                "free-form message only as a template; send a template",
                                code="template_required")
        return None
    if age is not None and age <= STANDARD_WINDOW:
        return None
    if age is not None and age <= HUMAN_AGENT_WINDOW:
        return "HUMAN_AGENT"
    raise Unprocessable("the contact last wrote more than 7 days ago; Meta allows no reply now",
                        code="window_closed")


def send_agent_message(principal: Principal, conversation: Conversation, *, content: str = "",
                       attachment_ids: Optional[list[str]] = None, is_private: bool = False,
                       reply_to_id: Optional[str] = None,
                       template: Optional[dict[str, Any]] = None,
                       client_message_id: Optional[str] = None,
                       sender_type: str = "agent") -> Any:
    """Store an agent's message and enqueue its delivery; returns the message row.

    With a `client_message_id`, sending the same message twice (a retried request) returns the
    first one and enqueues nothing more.
    """
    attachment_ids = attachment_ids or []
    if conversation.status != "active":
        raise Conflict("the session is closed and accepts no new messages", code="session_closed")
    if not (content or "").strip() and not attachment_ids and not template:
        raise Unprocessable("a message needs content, an attachment or a template",
                            code="empty_message")
    if attachment_ids and not company_settings(Company.get_by_id(principal.company_id)
                                               )["chat"]["fileSharing"]:
        raise Forbidden("file sharing is disabled for this company", code="file_sharing_disabled")
    channel = Channel.get_by_id(conversation.channel_id) if conversation.channel_id else None
    deliverable = channel is not None and not is_private
    tag = reply_window(channel, conversation, template) if deliverable else None
    user = User.get_by_id(principal.user_id)
    payload: dict[str, Any] = {}
    if template:
        payload["template"] = template
    if tag:
        payload["tag"] = tag
    with transaction():
        attachments = list(Attachment.select().where(
            (Attachment.id.in_(attachment_ids)) & (Attachment.company == principal.company_id)
            & (Attachment.message.is_null()))) if attachment_ids else []
        if len(attachments) != len(set(attachment_ids)):
            raise NotFound("attachment not found")
        message, created = insert_message(
            company=principal.company_id, conversation=conversation.id,
            channel=conversation.channel_id, client_message_id=client_message_id,
            direction="out", sender_type=sender_type, sender_user=user.id, sender_name=user.name,
            message_type="template" if template else ("text" if not attachments
                                                      else attachments[0].kind),
            content=content or "", payload=payload, reply_to=reply_to_id, is_private=is_private,
            status="queued" if deliverable else "sent", sent_at=None if deliverable else utcnow())
        if not created:
            return message
        if attachments:
            Attachment.update(message=message.id).where(
                Attachment.id.in_([a.id for a in attachments])).execute()
        touch_conversation(conversation.id, message)
        _record_first_response(conversation, message)
        if deliverable:
            Delivery.create(company=principal.company_id, message=message.id,
                            channel=channel.id, status="queued")
            enqueue_after_commit("deliver_message", message.id)
        publish_after_commit(principal.company_id, "message.created",
                             message_dict(message, attachments, channel.kind if channel else None),
                             conversation_id=conversation.id)
    return message


def _record_first_response(conversation: Conversation, message) -> None:
    if message.is_private or message.sender_type != "agent":
        return
    updates: dict[str, Any] = {}
    if conversation.first_response_at is None:
        updates["first_response_at"] = message.timestamp
    if conversation.bot_enabled:  # a human answering takes the conversation over from the bot
        updates.update(bot_enabled=False, bot_handoff_at=message.timestamp)
    if updates:
        Conversation.update(**updates).where(Conversation.id == conversation.id).execute()


def set_bot(principal: Principal, conversation: Conversation, enabled: bool) -> Conversation:
    """Turn the bot on or off; turning it off records the hand-off time."""
    with transaction():
        updates: dict[str, Any] = {"bot_enabled": enabled, "updated_at": utcnow()}
        if not enabled and conversation.bot_enabled:
            updates["bot_handoff_at"] = utcnow()
        Conversation.update(**updates).where(Conversation.id == conversation.id).execute()
        row = Conversation.get_by_id(conversation.id)
        from hub.conversations import publish_updated

        publish_updated(row)
    return row
