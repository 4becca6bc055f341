"""Everything one delivery attempt reads, loaded in one joined query.

Delivery + message + channel + the contact's identity on the channel + the provider id of the
message replied to, and whether the message has attachments (loaded only then).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from peewee import SQL, fn

from hub.models import Attachment, Channel, ContactIdentity, Conversation, Delivery, Message


@dataclass
class DeliveryJob:
    """The rows of one delivery as loaded before its claim."""

    delivery: Delivery
    message: Message
    channel: Channel
    recipient_id: Optional[str]
    reply_to_provider_id: Optional[str]
    attachments: list[Attachment] = field(default_factory=list)


def load_job(message_id: str) -> Optional[DeliveryJob]:
    """The delivery of `message_id` with all it needs to send, or None when there is none."""
    original = Message.alias("original")
    # Scalar subqueries, not joins: their values land on the Delivery row, never duplicate it.
    recipient = (ContactIdentity.select(ContactIdentity.external_id)
                 .where((ContactIdentity.contact == Conversation.contact)
                        & (ContactIdentity.channel == Delivery.channel))
                 .limit(1))  # any identity of the contact here, as hub.contacts.identity_for
    replied = original.select(original.provider_message_id).where(
        original.id == Message.reply_to)
    has_files = fn.EXISTS(Attachment.select(SQL("1")).where(Attachment.message == Message.id))
    row = (Delivery.select(Delivery, Message, Channel,
                           recipient.alias("recipient_external_id"),
                           replied.alias("original_provider_id"),
                           has_files.alias("has_files"))
           .join_from(Delivery, Message, on=(Delivery.message == Message.id))
           .join_from(Delivery, Channel, on=(Delivery.channel == Channel.id))
           .join_from(Message, Conversation, on=(Message.conversation == Conversation.id))
           .where(Delivery.message == message_id)
           .first())
    if row is None:
        return None
    attachments = list(Attachment.select().where(Attachment.message == message_id)
                       .order_by(Attachment.created_at, Attachment.id)) if row.has_files else []
    return DeliveryJob(delivery=row, message=row.message, channel=row.channel,
                       recipient_id=row.recipient_external_id,
                       reply_to_provider_id=row.original_provider_id, attachments=attachments)
