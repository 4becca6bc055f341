"""Messages of a session through the REST API: pages, sends with uploads, reads, typing."""
from __future__ import annotations

import logging
from typing import Any, Optional


from hub import attachments as files
from hub.auth import Principal
from hub.companies import company_settings
from hub.conversations import get_visible, publish_updated
from hub.db import transaction
from hub.errors import Forbidden, NotFound, ValidationError
from hub.messages import attachments_by_message, mark_seen_by_agent, thread
from hub.models import Attachment, Company, Conversation, Message, utcnow
from hub.outbound import send_agent_message
from hub.presenters import iso, message_dict
from hub.realtime import publish

log = logging.getLogger("hub.chat")

# Files one message may carry.
MAX_FILES_PER_MESSAGE = 10


def platform_of(conversation: Conversation) -> Optional[str]:
    return conversation.channel.kind if conversation.channel_id else None


def page(conversation: Conversation, before: Optional[str], limit: int) -> dict[str, Any]:
    """Messages before the cursor, oldest first (provider time), with the session's total."""
    if before and not Message.select().where((Message.id == before) & (
            Message.conversation == conversation.id)).exists():
        raise ValidationError("the request is not valid",
                              details={"before": ["not a message of this session"]})
    rows, has_more = thread(conversation.id, before=before, limit=limit)
    grouped = attachments_by_message(rows)
    platform = platform_of(conversation)
    total = Message.select().where(Message.conversation == conversation.id).count()
    return {"messages": [message_dict(m, grouped[m.id], platform) for m in rows],
            "totalCount": total, "hasMore": has_more}


def _check_reply_to(conversation: Conversation, reply_to: Optional[str]) -> None:
    if reply_to and not Message.select().where((Message.id == reply_to) & (
            Message.conversation == conversation.id)).exists():
        raise ValidationError("the request is not valid",
                              details={"replyTo": ["not a message of this session"]})


def send(principal: Principal, conversation: Conversation, body: dict[str, Any],
         uploads: Optional[list[tuple[str, bytes]]] = None) -> Message:
    """Store the uploads (if any) and send the message; nothing is kept if the send fails.

    The company's `chat.fileSharing` and `chat.maxFileSize` apply to every file.
    """
    _check_reply_to(conversation, body.get("reply_to"))
    uploads = uploads or []
    if len(uploads) > MAX_FILES_PER_MESSAGE:
        raise ValidationError("the request is not valid", details={
            "attachments": [f"at most {MAX_FILES_PER_MESSAGE} files per message"]})
    chat = company_settings(Company.get_by_id(principal.company_id))["chat"]
    if uploads and not chat["fileSharing"]:
        raise Forbidden("file sharing is disabled for this company", code="file_sharing_disabled")
    stored: list[Attachment] = []
    try:
        with transaction():
            for name, content in uploads:
                stored.append(files.store_file(principal.company_id, content, name,
                                               max_bytes=int(chat["maxFileSize"])))
            message = send_agent_message(
                principal, conversation, content=body.get("content") or "",
                attachment_ids=[a.id for a in stored], is_private=body.get("is_private", False),
                reply_to_id=body.get("reply_to"), template=body.get("template"),
                client_message_id=body.get("client_message_id"))
            # A retried request (same clientMessageId) returns the first message: its new
            # copies of the files belong to nothing, so they go.
            orphans = [a for a in stored if a.id not in {x.id for x in message.attachments}]
            if orphans:
                Attachment.delete().where(Attachment.id.in_([a.id for a in orphans])).execute()
    except BaseException:
        _remove_files(stored)
        raise
    _remove_files(orphans)
    return message


def _remove_files(stored: list[Attachment]) -> None:
    """Delete files whose rows rolled back, so a refused send leaves nothing behind."""
    for attachment in stored:
        for thumbnail in (False, True):
            path = files.file_path(attachment, thumbnail)
            try:
                if path is not None:
                    path.unlink(missing_ok=True)
            except OSError:
                log.warning("could not remove orphan upload %s", path)


def present(message: Message) -> dict[str, Any]:
    conversation = Conversation.get_by_id(message.conversation_id)
    return message_dict(message, list(message.attachments), platform_of(conversation))


def mark_read(conversation: Conversation, message_ids: list[str]) -> int:
    """Mark the session's incoming messages read by the agents; publish the new unread count."""
    with transaction():
        changed = mark_seen_by_agent(conversation, message_ids)
        publish_updated(Conversation.get_by_id(conversation.id))
    return changed


def mark_one_read(principal: Principal, message_id: str) -> Message:
    """Mark one message read, given only its id (the widget schema's `/api/messages/<id>/read`)."""
    if not message_id or len(message_id) > 64:
        raise NotFound("message not found")
    message = Message.get_or_none((Message.id == message_id)
                                  & (Message.company == principal.company_id))
    if message is None:
        raise NotFound("message not found")
    try:
        conversation = get_visible(principal, message.conversation_id)
    except NotFound:
        raise NotFound("message not found") from None
    mark_read(conversation, [message.id])
    return Message.get_by_id(message.id)


def typing(principal: Principal, conversation: Conversation, is_typing: bool) -> None:
    """Tell the session's watchers that the caller started or stopped typing."""
    publish(principal.company_id, "typing",
            {"userId": principal.user_id, "isTyping": is_typing, "timestamp": iso(utcnow()),
             "sessionId": conversation.id},
            conversation_id=conversation.id)


def attachment_for(principal: Principal, attachment_id: str) -> Attachment:
    """An attachment the caller may download: its company's, on a session the caller sees."""
    if not attachment_id or len(attachment_id) > 64:
        raise NotFound("attachment not found")
    row = (Attachment.select().where((Attachment.id == attachment_id)
                                     & (Attachment.company == principal.company_id)).first())
    if row is None:
        raise NotFound("attachment not found")
    if row.message_id:
        message = Message.get_or_none(Message.id == row.message_id)
        try:
            get_visible(principal, message.conversation_id if message else "")
        except NotFound:
            raise NotFound("attachment not found") from None
    return row
