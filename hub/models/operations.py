"""Canned responses, analytics rollups, archives and the record of scheduled runs."""
from __future__ import annotations

import peewee

from hub.models.base import BaseModel, utcnow
from hub.models.tenancy import Company, User


class CannedResponse(BaseModel):
    company = peewee.ForeignKeyField(Company, on_delete="CASCADE", index=False)
    shortcut = peewee.CharField(max_length=64)
    title = peewee.CharField(max_length=200, default="")
    content = peewee.TextField()
    created_by = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("company", "shortcut"), True),)


class AnalyticsRollup(BaseModel):
    """Daily figures per company, channel and agent; '' stands for 'all' in channel/agent."""

    company = peewee.ForeignKeyField(Company, on_delete="CASCADE", index=False)
    day = peewee.DateField()
    channel_key = peewee.CharField(max_length=32, default="")
    agent_key = peewee.CharField(max_length=32, default="")
    conversations_opened = peewee.IntegerField(default=0)
    messages_in = peewee.IntegerField(default=0)
    messages_out = peewee.IntegerField(default=0)
    first_response_count = peewee.IntegerField(default=0)
    first_response_seconds = peewee.FloatField(default=0)  # sum; divide by the count
    response_count = peewee.IntegerField(default=0)
    response_seconds = peewee.FloatField(default=0)
    resolved_count = peewee.IntegerField(default=0)
    resolution_seconds = peewee.FloatField(default=0)
    reopened_count = peewee.IntegerField(default=0)
    computed_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("company", "day", "channel_key", "agent_key"), True),
                   (("day",), False))  # recomputing a day for every company (v0003)


class ArchiveManifest(BaseModel):
    """A compressed archive of one company's month of messages, verified before deletion."""

    company = peewee.ForeignKeyField(Company, on_delete="CASCADE", index=False)
    month = peewee.CharField(max_length=7)  # YYYY-MM
    path = peewee.CharField(max_length=500)
    sha256 = peewee.CharField(max_length=64)
    message_count = peewee.IntegerField(default=0)
    attachment_count = peewee.IntegerField(default=0)
    created_at = peewee.DateTimeField(default=utcnow)
    restored_at = peewee.DateTimeField(null=True)

    class Meta:
        indexes = ((("company", "month", "path"), True),)


class JobRun(BaseModel):
    """One firing of a scheduled job, with its outcome."""

    job = peewee.CharField(max_length=64)
    scheduler = peewee.CharField(max_length=100)
    started_at = peewee.DateTimeField(default=utcnow, index=True)
    outcome = peewee.CharField(max_length=16)  # enqueued, skipped, error
    detail = peewee.TextField(null=True)
