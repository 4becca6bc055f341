"""The database and Redis a run uses: a fresh PostgreSQL database or SQLite, its own namespace."""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Optional
from urllib.parse import urlparse, urlunparse

APP_SECRET = "bench-app-secret"
PHONE_NUMBER_ID = "106540352242922"


def prepare(data_dir: Path, database_url: Optional[str], redis_url: Optional[str]) -> dict:
    """Environment for the children, a migrated database and one WhatsApp channel."""
    env = dict(os.environ, HUB_DATA_DIR=str(data_dir), SECRET_KEY=secrets.token_hex(32),
               HUB_REDIS_NAMESPACE=f"bench{secrets.token_hex(3)}", HUB_LOG_LEVEL="WARNING",
               DATABASE_URL=database_url or f"sqlite:///{data_dir / 'hub.sqlite3'}")
    if redis_url:
        env["REDIS_URL"] = redis_url
    else:
        from hub.embedded_redis import EmbeddedRedis

        env["REDIS_URL"] = EmbeddedRedis(data_dir / "redis").start()
    os.environ.update(env)
    from hub import db
    from hub.crypto import encrypt_json
    from hub.migrations import migrate
    from hub.models import Channel, Company
    from hub.settings import configure, load_settings

    configure(load_settings(env))
    db.init_db(env["DATABASE_URL"])
    migrate()
    with db.connection():
        company = Company.create(name="Bench", settings={})
        channel = Channel.create(company=company, kind="whatsapp", name="bench", settings={},
                                 credentials_encrypted=encrypt_json({
                                     "accessToken": "t", "appSecret": APP_SECRET,
                                     "phoneNumberId": PHONE_NUMBER_ID}))
    env["BENCH_CHANNEL_ID"] = channel.id
    return env


def committed(ids: list[str]) -> int:
    """How many of these acknowledged event ids are rows in the database."""
    from hub import db
    from hub.models import WebhookEvent

    found = 0
    with db.connection():
        for i in range(0, len(ids), 500):
            found += WebhookEvent.select().where(WebhookEvent.id.in_(ids[i:i + 500])).count()
    return found


def progress() -> tuple[int, int, int]:
    """(events still pending, events failed, messages stored)."""
    from hub import db
    from hub.models import Message, WebhookEvent

    with db.connection():
        pending = WebhookEvent.select().where(WebhookEvent.status == "pending").count()
        failed = WebhookEvent.select().where(WebhookEvent.status == "failed").count()
        return pending, failed, Message.select().count()


def redact(url: str) -> str:
    parts = urlparse(url)
    if parts.password:
        parts = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@"))
    return urlunparse(parts)
