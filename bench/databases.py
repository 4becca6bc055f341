"""A benchmark run's throwaway stores: a PostgreSQL database created next to a given URL and
dropped, and its own namespace in a shared Redis, deleted at the end."""
from __future__ import annotations

import secrets
from urllib.parse import urlparse, urlunparse


def _admin(url: str):
    import psycopg2

    connection = psycopg2.connect(urlunparse(urlparse(url)._replace(path="/postgres")))
    connection.autocommit = True
    return connection


def create_database(url: str, prefix: str) -> str:
    """Create `<prefix>_<random>` on the server of `url`; the new database's URL."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = _admin(url)
    try:
        admin.cursor().execute(f'CREATE DATABASE "{name}"')
    finally:
        admin.close()
    return urlunparse(urlparse(url)._replace(path=f"/{name}"))


def drop_database(url: str) -> None:
    """Drop the database of `url`, after closing this process's pooled connections to it."""
    from hub import db

    if db.db.obj is not None:
        db.close_connection()
        if isinstance(db.db.obj, db.PooledPostgresqlDatabase):
            db.db.obj.close_all()
    name = urlparse(url).path.lstrip("/").replace('"', "")
    admin = _admin(url)
    try:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.close()


def forget_namespace(redis_url: str, namespace: str) -> int:
    """Delete every key of a run's namespace in a shared Redis (presence, history, queues);
    the number deleted. The embedded Redis goes away with the run's directory instead."""
    import redis

    client = redis.Redis.from_url(redis_url)
    deleted = 0
    batch: list[bytes] = []
    for name in client.scan_iter(match=f"{namespace}:*", count=1000):
        batch.append(name)
        if len(batch) == 500:
            deleted += client.delete(*batch)
            batch = []
    if batch:
        deleted += client.delete(*batch)
    return deleted
