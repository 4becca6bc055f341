"""Hand-built channels, contacts, conversations and messages for the ops tests."""
from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any, Optional

from hub import db as hubdb
from hub.models import Channel, Contact, ContactIdentity, Conversation, Message

_n = itertools.count(1)


def channel(company, kind: str = "whatsapp", **fields: Any) -> Channel:
    with hubdb.db.connection_context():
        return Channel.create(company=company, kind=kind, name=fields.pop("name", f"{kind} {next(_n)}"),
                              **fields)


def contact(company, ch: Optional[Channel] = None, name: str = "Jane Doe", **fields: Any) -> Contact:
    with hubdb.db.connection_context():
        c = Contact.create(company=company, name=name, **fields)
        if ch is not None:
            ContactIdentity.create(company=company, contact=c, channel=ch,
                                   external_id=f"ext-{next(_n)}", display_name=name)
        return c


def conversation(company, ch, who, started: datetime, **fields: Any) -> Conversation:
    with hubdb.db.connection_context():
        return Conversation.create(company=company, channel=ch, contact=who, started_at=started,
                                   **fields)


def message(conv: Conversation, at: datetime, sender: str = "customer", user=None,
            private: bool = False, content: str = "hello", **fields: Any) -> Message:
    direction = "in" if sender == "customer" else "out"
    with hubdb.db.connection_context():
        return Message.create(company=conv.company_id, conversation=conv, channel=conv.channel_id,
                              provider_message_id=fields.pop("provider_message_id", f"p{next(_n)}"),
                              direction=direction, sender_type=sender, sender_user=user,
                              is_private=private, content=content, timestamp=at,
                              status="received" if direction == "in" else "sent", **fields)
