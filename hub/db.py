"""The database: one peewee proxy, its connection lifecycle, and after-commit hooks.

Web requests and jobs open a connection at the start and close it at the end (both backends
pool them: closing hands the connection back to the process's pool). `transaction()`
wraps peewee's atomic block and runs `on_commit` callbacks only after the outermost block has
committed, so a job is never enqueued for a row that a rollback removed.
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator
from urllib.parse import urlparse, unquote

import peewee
import psycopg2.extensions
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

db = peewee.DatabaseProxy()

# Seconds SQLite waits for another writer before giving up with "database is locked".
SQLITE_BUSY_TIMEOUT = 30
# A write transaction polls for another process's lock from every 0.5 ms up to every 4 ms.
LOCK_POLL_FIRST, LOCK_POLL_MAX = 0.0005, 0.004
# Connections kept per process in the PostgreSQL pool.
PG_MAX_CONNECTIONS = 32
# A pooled PostgreSQL connection idle longer than this is pinged before it is handed out again.
PG_PING_AFTER_IDLE = 5.0
# SQLite connections kept open per process: opening one costs a file open and five PRAGMAs,
# which was an eighth of a webhook request; a request or job borrows one and gives it back.
SQLITE_MAX_CONNECTIONS = 64


class HubSqliteDatabase(PooledSqliteDatabase):
    """SQLite in WAL mode with pooled connections; write transactions take the lock up front.

    A write transaction waits for another process's writer by polling `BEGIN` every few
    milliseconds instead of in SQLite's busy handler: that handler sleeps in C (under gevent
    it would freeze every greenlet of the process) and in steps up to 100 ms, so a waiter
    could sleep long after the lock was free. `time.sleep` here is gevent's under gevent.
    """

    def begin(self, lock_type: Any = None) -> None:
        if not lock_type:
            super().begin(lock_type)
            return
        with peewee.__exception_wrapper__:
            deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT
            delay = LOCK_POLL_FIRST
            while not self._try_begin(lock_type):
                if time.monotonic() > deadline:
                    raise sqlite3.OperationalError("database is locked")
                time.sleep(delay)
                delay = min(delay * 2, LOCK_POLL_MAX)

    def _try_begin(self, lock_type: str) -> bool:
        """BEGIN without waiting (no busy handler); False if another connection writes."""
        conn = self.connection()
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            conn.execute(f"BEGIN {lock_type}")
            return True
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            return False
        finally:
            conn.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT * 1000}")


class HubPostgresqlDatabase(PooledPostgresqlDatabase):
    """PostgreSQL with pooled connections that are pinged only after they sat idle a while.

    peewee's pool checks every connection it hands out with a `SELECT 1` round trip: one per
    web request and one per job, as many as the work itself for a webhook. A connection given
    back moments ago with a clean status (open, no transaction) is handed out as it is; one
    idle longer than `PG_PING_AFTER_IDLE` is still pinged. A server gone in between fails the
    next query (503 or a job retry), and psycopg2 then marks the connection closed, so the pool
    drops it on its next checkout.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._returned_at: dict[int, float] = {}

    def _is_closed(self, conn: Any) -> bool:
        if conn.closed:
            return True
        idle = time.monotonic() - self._returned_at.get(id(conn), float("-inf"))
        if (idle < PG_PING_AFTER_IDLE and conn.get_transaction_status()
                == psycopg2.extensions.TRANSACTION_STATUS_IDLE):
            return False
        return super()._is_closed(conn)

    def _close(self, conn: Any, close_conn: bool = False) -> None:
        self._returned_at[id(conn)] = time.monotonic()
        super()._close(conn, close_conn)

    def _close_raw(self, conn: Any) -> None:
        self._returned_at.pop(id(conn), None)
        super()._close_raw(conn)


class HubPgConnection(psycopg2.extensions.connection):
    """psycopg2's connection plus the names of the statements `hub.prepared` prepared on it.

    A plain psycopg2 connection takes no attributes; the set lives and dies with its session.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.prepared_names: set[str] = set()


def make_database(url: str) -> peewee.Database:
    """A peewee database for a `sqlite:///path`, a bare path or a `postgresql://` URL."""
    if url.startswith(("postgres://", "postgresql://")):
        parts = urlparse(url)
        return HubPostgresqlDatabase(
            unquote(parts.path.lstrip("/")) or "postgres",
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            max_connections=PG_MAX_CONNECTIONS,
            stale_timeout=300,
            timeout=30,
            autoconnect=True,
            connection_factory=HubPgConnection,
        )
    path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else url
    return HubSqliteDatabase(
        path,
        max_connections=SQLITE_MAX_CONNECTIONS,
        stale_timeout=300,
        # Pooled connections move between threads (Dramatiq threads, gevent's threadpool);
        # each is used by one borrower at a time.
        check_same_thread=False,
        timeout=SQLITE_BUSY_TIMEOUT,
        pragmas={
            "journal_mode": "wal",
            "foreign_keys": 1,
            "synchronous": "normal",
            "busy_timeout": SQLITE_BUSY_TIMEOUT * 1000,
            "cache_size": -32000,
        },
    )


def init_db(url: str) -> peewee.Database:
    """Point the proxy at the database of `url` (once per process, or per test)."""
    database = make_database(url)
    previous = db.obj
    if previous is not None:
        close_connection()
        if isinstance(previous, HubSqliteDatabase):
            previous.close_idle()  # its pooled files would stay open otherwise
    db.initialize(database)
    return database


def is_postgres() -> bool:
    return isinstance(db.obj, peewee.PostgresqlDatabase)


def open_connection() -> None:
    db.connect(reuse_if_open=True)


def close_connection() -> None:
    if db.obj is not None and not db.is_closed():
        db.close()


@contextmanager
def connection() -> Iterator[None]:
    """Open a connection for the duration of a block (CLI commands, scheduler ticks)."""
    already_open = not db.is_closed()
    open_connection()
    try:
        yield
    finally:
        if not already_open:
            close_connection()


_hooks = threading.local()


def _pending() -> list[list[Callable[[], Any]]]:
    if not hasattr(_hooks, "stack"):
        _hooks.stack = []
    return _hooks.stack


@contextmanager
def transaction() -> Iterator[None]:
    """An atomic block; `on_commit` callbacks run once the outermost block commits."""
    stack = _pending()
    stack.append([])
    outermost = len(stack) == 1
    try:
        if outermost and isinstance(db.obj, peewee.SqliteDatabase):
            ctx = db.obj.atomic("IMMEDIATE")
        else:
            ctx = db.atomic()
        with _sqlite_writer_turn(outermost), ctx:
            yield
    except BaseException:
        stack.pop()
        raise
    callbacks = stack.pop()
    if stack:
        stack[-1].extend(callbacks)  # an inner block: wait for the outer one
        return
    for callback in callbacks:
        callback()


_writer_turns: dict[int, Any] = {}


@contextmanager
def _sqlite_writer_turn(outermost: bool) -> Iterator[None]:
    """One SQLite write transaction per process at a time, the others queued on a lock.

    SQLite has one writer anyway; without this every waiting thread or greenlet would poll the
    file lock, and the unlucky ones wait longest. Queued here, they are woken the moment the
    transaction before them ends, and only one per process polls against other processes.
    """
    if not (outermost and isinstance(db.obj, HubSqliteDatabase)):
        yield
        return
    pid = os.getpid()  # one per process: gunicorn and Dramatiq fork after import
    turn = _writer_turns.get(pid)
    if turn is None:
        turn = _writer_turns.setdefault(pid, threading.Lock())  # gevent's lock under gevent
    with turn:
        yield


def on_commit(callback: Callable[[], Any]) -> None:
    """Run `callback` after the current `transaction()` commits, or now if there is none."""
    stack = _pending()
    if stack:
        stack[-1].append(callback)
    else:
        callback()


class JSONField(peewee.TextField):
    """JSON stored as text, the same on SQLite and PostgreSQL."""

    def db_value(self, value: Any) -> Any:
        return None if value is None else json.dumps(value, separators=(",", ":"), default=str)

    def python_value(self, value: Any) -> Any:
        return None if value is None else json.loads(value)
