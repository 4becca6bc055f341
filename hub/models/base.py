"""The model base: string ids that sort by creation time, UTC timestamps."""
from __future__ import annotations

import secrets
import time
from datetime import datetime, timezone

import peewee

from hub.db import JSONField, db  # noqa: F401  (JSONField re-exported for model modules)


def new_id() -> str:
    """A 32-hex-char id: 12 of milliseconds then 20 random, so ids sort by creation time."""
    return f"{int(time.time() * 1000):012x}{secrets.token_hex(10)}"


def utcnow() -> datetime:
    """Now in UTC, naive: every timestamp in the database is UTC."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class BaseModel(peewee.Model):
    id = peewee.CharField(primary_key=True, max_length=32, default=new_id)

    class Meta:
        database = db
        legacy_table_names = False
