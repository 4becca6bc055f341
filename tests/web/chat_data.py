"""Builders of channels, contacts, conversations and inbound messages through the hub services."""
from __future__ import annotations

import io
import itertools
from datetime import datetime, timedelta
from typing import Optional

from hub import db as hubdb
from hub.conversations import ensure_open_conversation
from hub.db import transaction
from hub.messages import insert_message, touch_conversation
from hub.models import Channel, Contact, Conversation, Message, utcnow

_n = itertools.count(1)


def png_bytes(width: int = 640, height: int = 480) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def make_channel(company_id: str, kind: str = "telegram", name: Optional[str] = None) -> Channel:
    with hubdb.db.connection_context():
        return Channel.create(company=company_id, kind=kind, name=name or f"{kind} {next(_n)}")


def make_conversation(company_id: str, *, kind: str = "telegram", name: str = "Jane Doe",
                      phone: Optional[str] = None, email: Optional[str] = None,
                      channel: Optional[Channel] = None) -> Conversation:
    """A customer's open conversation on a channel (as an inbound webhook would create it)."""
    channel = channel or make_channel(company_id, kind)
    with hubdb.db.connection_context():
        contact = Contact.create(company=company_id, name=name, phone=phone, email=email)
        conversation, _ = ensure_open_conversation(company_id, channel.id, contact.id)
        return conversation


def inbound(conversation: Conversation, content: str,
            timestamp: Optional[datetime] = None) -> Message:
    """A customer's message stored the way the inbound pipeline stores it."""
    with hubdb.db.connection_context():
        with transaction():
            message, _ = insert_message(
                company=conversation.company_id, conversation=conversation.id,
                channel=conversation.channel_id, provider_message_id=f"p{next(_n)}",
                direction="in", sender_type="customer", sender_name="Jane", content=content,
                status="received", timestamp=timestamp or utcnow())
            touch_conversation(conversation.id, message)
        return message


def at(minutes: int) -> datetime:
    """A provider time `minutes` after a fixed point in the recent past."""
    return utcnow().replace(microsecond=0) - timedelta(hours=2) + timedelta(minutes=minutes)
