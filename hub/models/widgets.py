"""Website chat widgets and the domains they may be embedded on."""
from __future__ import annotations

import peewee

from hub.models.base import BaseModel, JSONField, utcnow
from hub.models.channels import Channel
from hub.models.tenancy import Company


class Widget(BaseModel):
    company = peewee.ForeignKeyField(Company, backref="widgets", on_delete="CASCADE")
    channel = peewee.ForeignKeyField(Channel, null=True, on_delete="SET NULL")
    name = peewee.CharField(max_length=200)
    type = peewee.CharField(max_length=16, default="floating")  # floating, embedded, popup
    settings = JSONField(default=dict)  # theme, position, colours, greeting, offline message
    pre_chat_fields = JSONField(default=list)
    status = peewee.CharField(max_length=16, default="active")  # active, inactive
    secret_encrypted = peewee.TextField(default="")  # HMAC key for identity verification
    allow_localhost = peewee.BooleanField(default=False)
    refused_count = peewee.IntegerField(default=0)  # embedding attempts from other origins
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)


class AuthorizedDomain(BaseModel):
    company = peewee.ForeignKeyField(Company, on_delete="CASCADE")
    widget = peewee.ForeignKeyField(Widget, backref="domains", on_delete="CASCADE", index=False)
    domain = peewee.CharField(max_length=253)
    verified = peewee.BooleanField(default=False)
    token = peewee.CharField(max_length=64)
    method = peewee.CharField(max_length=8, null=True)  # dns, file
    verified_at = peewee.DateTimeField(null=True)
    last_checked_at = peewee.DateTimeField(null=True)
    last_error = peewee.TextField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("widget", "domain"), True),)


class WidgetStat(BaseModel):
    company = peewee.ForeignKeyField(Company, on_delete="CASCADE")
    widget = peewee.ForeignKeyField(Widget, on_delete="CASCADE", index=False)
    day = peewee.DateField()
    loads = peewee.IntegerField(default=0)
    conversations = peewee.IntegerField(default=0)
    messages = peewee.IntegerField(default=0)
    refused = peewee.IntegerField(default=0)

    class Meta:
        indexes = ((("widget", "day"), True),)
