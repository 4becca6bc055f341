"""Companies, their users, API tokens, notifications and the audit log."""
from __future__ import annotations

import peewee

from hub.models.base import BaseModel, JSONField, utcnow


class Company(BaseModel):
    name = peewee.CharField(max_length=200)
    industry = peewee.CharField(max_length=100, default="")
    size = peewee.CharField(max_length=50, default="")
    chat_score = peewee.FloatField(default=0)
    settings = JSONField(default=dict)  # CompanySettings plus routing / retention, see hub.companies
    last_active = peewee.DateTimeField(default=utcnow)
    created_at = peewee.DateTimeField(default=utcnow)
    # Round-robin cursor: the last agent given a conversation.
    last_assigned_user_id = peewee.CharField(max_length=32, null=True)


class User(BaseModel):
    company = peewee.ForeignKeyField(Company, backref="users", on_delete="CASCADE")
    email = peewee.CharField(max_length=254, unique=True)
    name = peewee.CharField(max_length=200)
    password_hash = peewee.CharField(max_length=255)
    role = peewee.CharField(max_length=16, default="support")  # admin, support, user
    avatar = peewee.CharField(max_length=500, null=True)
    status = peewee.CharField(max_length=16, default="offline")  # online, away, offline
    last_active = peewee.DateTimeField(null=True)
    settings = JSONField(default=dict)  # UserSettings: theme, notifications, privacy
    max_open_conversations = peewee.IntegerField(default=20)  # routing capacity
    channel_ids = JSONField(null=True)  # channels the agent is limited to; null: all
    is_active = peewee.BooleanField(default=True)
    created_at = peewee.DateTimeField(default=utcnow)


class ApiToken(BaseModel):
    """A long-lived token for integrations; only its SHA-256 is stored."""

    company = peewee.ForeignKeyField(Company, on_delete="CASCADE")
    user = peewee.ForeignKeyField(User, backref="api_tokens", on_delete="CASCADE")
    name = peewee.CharField(max_length=100)
    token_hash = peewee.CharField(max_length=64, unique=True)
    prefix = peewee.CharField(max_length=16)
    created_at = peewee.DateTimeField(default=utcnow)
    last_used_at = peewee.DateTimeField(null=True)
    revoked_at = peewee.DateTimeField(null=True)


class Notification(BaseModel):
    company = peewee.ForeignKeyField(Company, on_delete="CASCADE")
    user = peewee.ForeignKeyField(User, backref="notifications", on_delete="CASCADE")
    title = peewee.CharField(max_length=200)
    message = peewee.TextField(default="")
    type = peewee.CharField(max_length=16, default="message")  # message, alert, update
    read = peewee.BooleanField(default=False)
    link = peewee.CharField(max_length=500, null=True)
    created_at = peewee.DateTimeField(default=utcnow, index=True)


class AuditLog(BaseModel):
    company = peewee.ForeignKeyField(Company, on_delete="CASCADE")
    user = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")
    actor = peewee.CharField(max_length=254, default="")  # email or "system", kept after erasure
    action = peewee.CharField(max_length=100)
    target_type = peewee.CharField(max_length=50, default="")
    target_id = peewee.CharField(max_length=32, default="")
    details = JSONField(default=dict)
    created_at = peewee.DateTimeField(default=utcnow, index=True)
