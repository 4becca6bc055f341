"""Rows and events the realtime tests start from."""
from __future__ import annotations

from typing import Optional

from hub import db as hubdb
from hub.models import Contact, Conversation, Message, User
from hub.realtime import publish


def conversation(company_id: str, *, assignee: Optional[str] = None,
                 created_by: Optional[str] = None) -> Conversation:
    with hubdb.db.connection_context():
        contact = Contact.create(company=company_id, name="Prospect")
        return Conversation.create(company=company_id, contact=None if created_by else contact,
                                   assignee=assignee, created_by=created_by, tags=[])


def incoming(conv: Conversation, content: str = "hello") -> Message:
    with hubdb.db.connection_context():
        return Message.create(company=conv.company_id, conversation=conv.id, direction="in",
                              sender_type="customer", content=content, status="received")


def message_event(conv: Conversation, content: str, *, private: bool = False) -> int:
    data = {"id": content, "conversationId": conv.id, "content": content, "isPrivate": private}
    return publish(conv.company_id, "message.created", data, conversation_id=conv.id)


def user_row(user_id: str) -> User:
    with hubdb.db.connection_context():
        return User.get_by_id(user_id)
