"""Resolving the runtime: data dir, embedded Redis when REDIS_URL is unset, the database."""
from __future__ import annotations

import os
from typing import Optional

from hub import db
from hub.embedded_redis import EmbeddedRedis
from hub.settings import Settings, configure, load_settings


class Runtime:
    """The settings of this process, plus the embedded Redis it owns (if it started one)."""

    def __init__(self, settings: Optional[Settings] = None):
        self.settings = settings or load_settings()
        self.embedded: Optional[EmbeddedRedis] = None

    def start(self) -> Settings:
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        if not self.settings.redis_url:
            self.embedded = EmbeddedRedis(self.settings.data_dir)
            url = self.embedded.start()
            self.settings = self.settings.with_overrides(redis_url=url)
        configure(self.settings)
        db.init_db(self.settings.resolved_database_url)
        return self.settings

    def child_env(self) -> dict[str, str]:
        """The environment of child roles: the same database, Redis and data dir."""
        env = dict(os.environ)
        env["HUB_DATA_DIR"] = str(self.settings.data_dir)
        env["REDIS_URL"] = self.settings.redis_url or ""
        env["DATABASE_URL"] = self.settings.resolved_database_url
        env["SECRET_KEY"] = self.settings.secret_key
        env["PORT"] = str(self.settings.port)
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env

    def stop(self) -> None:
        db.close_connection()
        if self.embedded:
            self.embedded.stop()
