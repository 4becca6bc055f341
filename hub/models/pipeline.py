"""Raw webhook events in, deliveries and their attempts out."""
from __future__ import annotations

import peewee

from hub.models.base import BaseModel, JSONField, utcnow
from hub.models.channels import Channel
from hub.models.conversations import Message
from hub.models.tenancy import Company


class WebhookEvent(BaseModel):
    """A provider delivery exactly as received, committed before the provider gets its 200."""

    company = peewee.ForeignKeyField(Company, on_delete="CASCADE", index=False)
    channel = peewee.ForeignKeyField(Channel, on_delete="CASCADE", index=False)
    kind = peewee.CharField(max_length=16)
    dedupe_key = peewee.CharField(max_length=128)
    body = peewee.TextField()
    headers = JSONField(default=dict)
    status = peewee.CharField(max_length=16, default="pending")  # pending, processed, ignored, failed
    attempts = peewee.IntegerField(default=0)
    error = peewee.TextField(null=True)
    received_at = peewee.DateTimeField(default=utcnow)
    enqueued_at = peewee.DateTimeField(null=True)
    processed_at = peewee.DateTimeField(null=True)

    class Meta:
        indexes = (
            (("channel", "dedupe_key"), True),
            (("status", "received_at"), False),
            (("company", "status"), False),
        )


class Delivery(BaseModel):
    """The outbound state of one agent message: attempts, next try, dead letter."""

    company = peewee.ForeignKeyField(Company, on_delete="CASCADE", index=False)
    message = peewee.ForeignKeyField(Message, unique=True, backref="delivery", on_delete="CASCADE")
    channel = peewee.ForeignKeyField(Channel, on_delete="CASCADE")
    status = peewee.CharField(max_length=16, default="queued")  # queued, sending, retrying, sent, failed
    attempts = peewee.IntegerField(default=0)
    next_attempt_at = peewee.DateTimeField(null=True)
    sending_since = peewee.DateTimeField(null=True)
    last_error_code = peewee.CharField(max_length=64, null=True)
    last_error_reason = peewee.TextField(null=True)
    dead_lettered_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("status", "updated_at"), False), (("company", "status"), False))


class DeliveryAttempt(BaseModel):
    delivery = peewee.ForeignKeyField(Delivery, backref="attempt_rows", on_delete="CASCADE")
    number = peewee.IntegerField()
    started_at = peewee.DateTimeField(default=utcnow)
    latency_ms = peewee.IntegerField(null=True)
    http_status = peewee.IntegerField(null=True)
    provider_code = peewee.CharField(max_length=64, null=True)
    outcome = peewee.CharField(max_length=16)  # sent, retry, failed, rate_limited
    error = peewee.TextField(null=True)
