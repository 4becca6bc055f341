"""Connected provider accounts and what channel sync brings from them."""
from __future__ import annotations

import peewee

from hub.models.base import BaseModel, JSONField, utcnow
from hub.models.tenancy import Company


class Channel(BaseModel):
    company = peewee.ForeignKeyField(Company, backref="channels", on_delete="CASCADE")
    kind = peewee.CharField(max_length=16)  # whatsapp, instagram, messenger, telegram, widget
    name = peewee.CharField(max_length=200)
    credentials_encrypted = peewee.TextField(default="")  # Fernet token of the JSON credentials
    settings = JSONField(default=dict)  # apiBaseUrl, rate limits, polling mode ...
    verify_token = peewee.CharField(max_length=64, null=True)  # Meta webhook handshake
    secret_token_encrypted = peewee.TextField(null=True)  # Telegram webhook secret
    status = peewee.CharField(max_length=16, default="active")  # active, error, disabled
    status_detail = peewee.TextField(null=True)
    sync_state = JSONField(default=dict)  # polling offset, phone quality, webhook info ...
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)
    deleted_at = peewee.DateTimeField(null=True)


class ChannelTemplate(BaseModel):
    """A WhatsApp message template, refreshed by channel sync."""

    company = peewee.ForeignKeyField(Company, on_delete="CASCADE")
    channel = peewee.ForeignKeyField(Channel, backref="templates", on_delete="CASCADE", index=False)
    name = peewee.CharField(max_length=512)
    language = peewee.CharField(max_length=16)
    category = peewee.CharField(max_length=32, default="")
    status = peewee.CharField(max_length=32, default="")
    components = JSONField(default=list)
    synced_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("channel", "name", "language"), True),)
