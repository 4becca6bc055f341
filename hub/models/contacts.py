"""Contacts (prospects and clients), their per-channel identities, notes and quotes."""
from __future__ import annotations

import peewee

from hub.models.base import BaseModel, JSONField, utcnow
from hub.models.channels import Channel
from hub.models.tenancy import Company, User


class Contact(BaseModel):
    company = peewee.ForeignKeyField(Company, backref="contacts", on_delete="CASCADE", index=False)
    name = peewee.CharField(max_length=200, default="")
    email = peewee.CharField(max_length=254, null=True)
    phone = peewee.CharField(max_length=40, null=True)
    avatar = peewee.CharField(max_length=1000, null=True)
    # Prospect-to-client: a prospect becomes a client by conversion.
    is_client = peewee.BooleanField(default=False)
    first_name = peewee.CharField(max_length=100, default="")
    last_name = peewee.CharField(max_length=100, default="")
    company_name = peewee.CharField(max_length=200, default="")
    client_status = peewee.CharField(max_length=16, default="active")  # active, inactive
    tags = JSONField(default=list)
    total_value = peewee.DecimalField(max_digits=14, decimal_places=2, default=0)
    custom_fields = JSONField(default=dict)  # widget pre-chat answers and the like
    external_user_id = peewee.CharField(max_length=200, null=True)  # widget identity verification
    converted_at = peewee.DateTimeField(null=True)
    last_seen = peewee.DateTimeField(null=True)
    erased_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("company", "external_user_id"), False),)


class ContactIdentity(BaseModel):
    """How one channel knows a contact: phone, IGSID, PSID, Telegram chat, widget visitor."""

    company = peewee.ForeignKeyField(Company, on_delete="CASCADE")
    contact = peewee.ForeignKeyField(Contact, backref="identities", on_delete="CASCADE")
    channel = peewee.ForeignKeyField(Channel, on_delete="CASCADE", index=False)
    external_id = peewee.CharField(max_length=200)
    display_name = peewee.CharField(max_length=200, default="")
    username = peewee.CharField(max_length=200, null=True)
    profile = JSONField(default=dict)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("channel", "external_id"), True),)


class ClientNote(BaseModel):
    company = peewee.ForeignKeyField(Company, on_delete="CASCADE")
    contact = peewee.ForeignKeyField(Contact, backref="notes", on_delete="CASCADE")
    author = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")
    content = peewee.TextField()
    created_at = peewee.DateTimeField(default=utcnow)


class Quote(BaseModel):
    company = peewee.ForeignKeyField(Company, on_delete="CASCADE")
    contact = peewee.ForeignKeyField(Contact, backref="quotes", on_delete="CASCADE")
    author = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")
    title = peewee.CharField(max_length=200)
    amount = peewee.DecimalField(max_digits=14, decimal_places=2, default=0)
    currency = peewee.CharField(max_length=3, default="EUR")
    status = peewee.CharField(max_length=16, default="draft")  # draft, sent, accepted, rejected
    valid_until = peewee.DateField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)
