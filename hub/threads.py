"""ChatThreads of the widget schema: a conversation with its participants and messages."""
from __future__ import annotations

from typing import Any, Iterable, Optional

from hub.messages import attachments_by_message, thread
from hub.models import Contact, Conversation, Message, User
from hub.presenters import iso, message_dict

# Messages a thread carries: the newest ones (older ones via the sessions' `before` cursor).
THREAD_MESSAGES = 50


def user_participant(u: User) -> dict[str, Any]:
    return {"id": u.id, "name": u.name, "email": u.email, "role": u.role, "avatar": u.avatar,
            "companyId": u.company_id, "status": u.status, "lastActive": iso(u.last_active),
            "isContact": False}


def contact_participant(c: Contact) -> dict[str, Any]:
    """The customer shown as a User with role `user` (the schema has no separate contact)."""
    return {"id": c.id, "name": c.name or c.phone or c.email or "Customer", "email": c.email,
            "role": "user", "avatar": c.avatar, "companyId": c.company_id, "status": "offline",
            "lastActive": iso(c.last_seen), "isContact": True}


def _users(conversation: Conversation, messages: Iterable[Message]) -> dict[str, User]:
    ids = {conversation.created_by_id, conversation.assignee_id}
    ids |= {m.sender_user_id for m in messages}
    ids.discard(None)
    if not ids:
        return {}
    rows = User.select().where((User.id.in_(list(ids)))
                               & (User.company == conversation.company_id))
    return {u.id: u for u in rows}


def _sender(m: Message, users: dict[str, User],
            contact: Optional[dict[str, Any]]) -> dict[str, Any]:
    if m.sender_user_id in users:
        return user_participant(users[m.sender_user_id])
    if m.sender_type == "customer" and contact is not None:
        return contact
    return {"id": m.sender_user_id or m.sender_type, "name": m.sender_name or m.sender_type,
            "email": None, "role": "support" if m.direction == "out" else "user",
            "avatar": None, "companyId": m.company_id, "status": "offline", "lastActive": None,
            "isContact": m.direction == "in"}


def thread_message(m: Message, attachments, users: dict[str, User],
                   contact: Optional[dict[str, Any]], platform: Optional[str],
                   replies: dict[str, Message]) -> dict[str, Any]:
    """`message_dict` with the sender as a User and `replyTo` as a short message."""
    data = message_dict(m, attachments, platform)
    data["sender"] = _sender(m, users, contact)
    parent = replies.get(m.reply_to_id) if m.reply_to_id else None
    data["replyTo"] = ({"id": parent.id, "content": "" if parent.deleted_at else parent.content,
                        "timestamp": iso(parent.timestamp)} if parent else None)
    return data


def thread_dict(conversation: Conversation, limit: int = THREAD_MESSAGES) -> dict[str, Any]:
    """A ChatThread with its newest `limit` messages (oldest first)."""
    messages, has_more = thread(conversation.id, limit=limit) if limit else ([], False)
    users = _users(conversation, messages)
    contact = (contact_participant(conversation.contact) if conversation.contact_id else None)
    platform = conversation.channel.kind if conversation.channel_id else None
    reply_ids = [m.reply_to_id for m in messages if m.reply_to_id]
    replies = ({r.id: r for r in Message.select().where(
        (Message.id.in_(reply_ids)) & (Message.conversation == conversation.id))}
               if reply_ids else {})
    grouped = attachments_by_message(messages)
    participants = [user_participant(u) for u in users.values()]
    if contact is not None:
        participants.append(contact)
    return {
        "id": conversation.id,
        "participants": participants,
        "messages": [thread_message(m, grouped[m.id], users, contact, platform, replies)
                     for m in messages],
        "hasMore": has_more,
        "subject": conversation.subject,
        "createdAt": iso(conversation.started_at),
        "updatedAt": iso(conversation.updated_at),
        "status": conversation.status,
    }


def one_message(message: Message) -> dict[str, Any]:
    """A single message in the thread shape (the answer of a send)."""
    conversation = Conversation.get_by_id(message.conversation_id)
    users = _users(conversation, [message])
    contact = contact_participant(conversation.contact) if conversation.contact_id else None
    platform = conversation.channel.kind if conversation.channel_id else None
    replies = {}
    if message.reply_to_id:
        parent = Message.get_or_none(Message.id == message.reply_to_id)
        replies = {parent.id: parent} if parent else {}
    return thread_message(message, list(message.attachments), users, contact, platform, replies)
