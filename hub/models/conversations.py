"""Conversations, messages, attachments and statuses waiting for their message."""
from __future__ import annotations

import peewee

from hub.models.base import BaseModel, JSONField, utcnow
from hub.models.channels import Channel
from hub.models.contacts import Contact
from hub.models.tenancy import Company, User

# Message statuses in the order they may advance; `failed` stands apart (see hub.statuses).
MESSAGE_STATUSES = ("received", "queued", "sending", "sent", "delivered", "read", "failed")


class Conversation(BaseModel):
    company = peewee.ForeignKeyField(Company, backref="conversations", on_delete="CASCADE",
                                     index=False)
    channel = peewee.ForeignKeyField(Channel, null=True, on_delete="CASCADE")
    contact = peewee.ForeignKeyField(Contact, null=True, backref="conversations",
                                     on_delete="CASCADE")
    created_by = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL",
                                        backref="created_conversations")
    assignee = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL",
                                      backref="assigned_conversations")
    status = peewee.CharField(max_length=16, default="active")  # active, closed, archived
    subject = peewee.CharField(max_length=300, null=True)
    priority = peewee.CharField(max_length=8, default="medium")  # low, medium, high
    tags = JSONField(default=list)
    bot_enabled = peewee.BooleanField(default=False)
    bot_handoff_at = peewee.DateTimeField(null=True)  # when a human took over from the bot
    unread_count = peewee.IntegerField(default=0)
    last_message_at = peewee.DateTimeField(null=True)
    last_message_preview = peewee.CharField(max_length=300, default="")
    last_customer_message_at = peewee.DateTimeField(null=True)  # opens the 24-hour window
    first_response_at = peewee.DateTimeField(null=True)
    reopened_count = peewee.IntegerField(default=0)
    reopened_at = peewee.DateTimeField(null=True)  # the latest reopening
    started_at = peewee.DateTimeField(default=utcnow)
    ended_at = peewee.DateTimeField(null=True)
    archived_at = peewee.DateTimeField(null=True)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("company", "status", "last_message_at"), False),
                   # Range scans of the analytics rollups (migrations v0003, v0004).
                   (("company", "started_at"), False),
                   (("company", "ended_at"), False),
                   (("company", "reopened_at"), False))


# One open conversation per channel and contact, even when webhooks race (a partial index).
Conversation.add_index(
    Conversation.index(Conversation.channel, Conversation.contact, unique=True,
                       name="conversation_one_open_per_contact")
    .where(Conversation.status == "active")
)
# Migration v0008 adds a partial index of assigned open conversations by company and agent (not
# declared here, like every index after v0001): routing counts each agent's open conversations.


class Message(BaseModel):
    company = peewee.ForeignKeyField(Company, on_delete="CASCADE", index=False)
    conversation = peewee.ForeignKeyField(Conversation, backref="messages", on_delete="CASCADE",
                                          index=False)
    channel = peewee.ForeignKeyField(Channel, null=True, on_delete="CASCADE", index=False)
    provider_message_id = peewee.CharField(max_length=200, null=True)
    client_message_id = peewee.CharField(max_length=64, null=True)  # sender's idempotency key
    direction = peewee.CharField(max_length=3)  # in, out
    sender_type = peewee.CharField(max_length=16)  # customer, agent, bot, system
    sender_user = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")
    sender_name = peewee.CharField(max_length=200, null=True)
    message_type = peewee.CharField(max_length=24, default="text")
    content = peewee.TextField(default="")
    payload = JSONField(default=dict)  # location, contacts, interactive, template, reactions ...
    reply_to = peewee.ForeignKeyField("self", null=True, on_delete="SET NULL")
    # Indexed with channel where set (migration v0005): a new message looks for its replies.
    reply_to_provider_id = peewee.CharField(max_length=200, null=True)
    is_private = peewee.BooleanField(default=False)  # an agent's internal note, never sent
    status = peewee.CharField(max_length=16, default="received")
    error_code = peewee.CharField(max_length=64, null=True)
    error_reason = peewee.TextField(null=True)
    sent_at = peewee.DateTimeField(null=True)
    delivered_at = peewee.DateTimeField(null=True)
    read_at = peewee.DateTimeField(null=True)  # by the contact, for outgoing messages
    seen_by_agent_at = peewee.DateTimeField(null=True)  # for incoming messages
    edited_at = peewee.DateTimeField(null=True)
    deleted_at = peewee.DateTimeField(null=True)
    # Provider time, which orders the thread whatever order the jobs ran in.
    timestamp = peewee.DateTimeField(default=utcnow)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("channel", "provider_message_id"), True),
            (("conversation", "client_message_id"), True),
            (("conversation", "timestamp"), False),
            (("company", "timestamp"), False),
        )


class Attachment(BaseModel):
    company = peewee.ForeignKeyField(Company, on_delete="CASCADE")
    message = peewee.ForeignKeyField(Message, null=True, backref="attachments",
                                     on_delete="CASCADE")
    name = peewee.CharField(max_length=255, default="file")
    content_type = peewee.CharField(max_length=127, default="application/octet-stream")
    size = peewee.IntegerField(default=0)
    storage_path = peewee.CharField(max_length=500, null=True)  # relative to attachments dir
    thumbnail_path = peewee.CharField(max_length=500, null=True)
    sha256 = peewee.CharField(max_length=64, null=True)
    width = peewee.IntegerField(null=True)
    height = peewee.IntegerField(null=True)
    duration = peewee.FloatField(null=True)
    kind = peewee.CharField(max_length=16, default="file")  # image, video, audio, voice, document
    provider_media_id = peewee.CharField(max_length=300, null=True)
    source_url = peewee.TextField(null=True)
    status = peewee.CharField(max_length=16, default="ready")  # pending, ready, failed
    error = peewee.TextField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)


class MessagePart(BaseModel):
    """A further provider id of an outgoing message sent as several provider messages (text
    with a WhatsApp voice note, text with a Messenger picture, a long Telegram text split).
    Statuses, reactions, echoes and replies for that part find the message through it;
    `message.provider_message_id` is the first part's id."""

    channel = peewee.ForeignKeyField(Channel, on_delete="CASCADE", index=False)
    provider_message_id = peewee.CharField(max_length=200)
    message = peewee.ForeignKeyField(Message, on_delete="CASCADE")

    class Meta:
        indexes = ((("channel", "provider_message_id"), True),)


class PendingStatus(BaseModel):
    """A status webhook that arrived before its message; applied when the message is stored."""

    channel = peewee.ForeignKeyField(Channel, on_delete="CASCADE", index=False)
    provider_message_id = peewee.CharField(max_length=200)
    status = peewee.CharField(max_length=16)
    timestamp = peewee.DateTimeField()
    error_code = peewee.CharField(max_length=64, null=True)
    error_reason = peewee.TextField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("channel", "provider_message_id", "status"), True),)


class PendingEvent(BaseModel):
    """An edit, deletion, reaction or echo that arrived before its message; applied on arrival.

    `provider_message_id` is the message the event is waiting for (for an echo: its own id,
    waiting for our delivery to record it); `event` is the normalized event as JSON.
    """

    channel = peewee.ForeignKeyField(Channel, on_delete="CASCADE", index=False)
    kind = peewee.CharField(max_length=16)  # edit, deletion, reaction, echo
    provider_message_id = peewee.CharField(max_length=200)
    external_id = peewee.CharField(max_length=200)  # the contact's provider id
    dedupe_key = peewee.CharField(max_length=64)  # hash of the event: a rerun parks nothing new
    event = JSONField(default=dict)
    timestamp = peewee.DateTimeField()
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("channel", "dedupe_key"), True),
                   (("channel", "provider_message_id"), False),
                   (("channel", "kind", "external_id"), False))
