"""Versioned schema migrations: `hub migrate` applies those a database has not seen yet.

Each migration is a module `vNNNN_<name>.py` with `up(database, dialect)`. The first one runs a
frozen SQL file per dialect (generated once from the models of that time), so later model
changes never rewrite history: they come as new migrations.
"""
from __future__ import annotations

import importlib
import logging
import pkgutil
from pathlib import Path
from typing import Optional

import peewee

from hub.db import db, is_postgres
from hub.models.base import utcnow

log = logging.getLogger("hub.migrate")

# Key of the PostgreSQL advisory lock that keeps two migrating processes apart.
PG_LOCK_KEY = 7_040_117

HERE = Path(__file__).parent


def available() -> list[str]:
    """Every migration version, in order."""
    names = [m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name.startswith("v")]
    return sorted(names)


def dialect() -> str:
    return "postgres" if is_postgres() else "sqlite"


def run_sql_file(name: str) -> None:
    """Execute a `.sql` file of this folder, statement by statement."""
    text = (HERE / name).read_text()
    for statement in text.split(";\n"):
        if statement.strip():
            db.execute_sql(statement)


def _ensure_table() -> None:
    db.execute_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version VARCHAR(100) NOT NULL PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"
    )


def applied() -> set[str]:
    _ensure_table()
    return {row[0] for row in db.execute_sql("SELECT version FROM schema_migrations").fetchall()}


def migrate(target: Optional[str] = None) -> list[str]:
    """Apply pending migrations up to `target` (default: all); returns those applied."""
    done: list[str] = []
    with db.connection_context():
        if is_postgres():
            db.execute_sql("SELECT pg_advisory_lock(%s)", (PG_LOCK_KEY,))
        try:
            seen = applied()
            for version in available():
                if version in seen:
                    continue
                module = importlib.import_module(f"hub.migrations.{version}")
                with _atomic():
                    module.up(db, dialect())
                    db.execute_sql(
                        "INSERT INTO schema_migrations (version, applied_at) VALUES (%s, %s)"
                        % (("%s", "%s") if is_postgres() else ("?", "?")),
                        (version, utcnow()),
                    )
                log.info("migration applied version=%s", version)
                done.append(version)
                if version == target:
                    break
        finally:
            if is_postgres():
                db.execute_sql("SELECT pg_advisory_unlock(%s)", (PG_LOCK_KEY,))
    return done


def _atomic():
    if isinstance(db.obj, peewee.SqliteDatabase):
        return db.obj.atomic("IMMEDIATE")
    return db.atomic()
