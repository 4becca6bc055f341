"""The database: one peewee proxy, its connection lifecycle, and after-commit hooks.

Web requests and jobs open a connection at the start and close it at the end (both backends
pool them: closing hands the connection back to the process's pool). `transaction()`
wraps peewee's atomic block and runs `on_commit` callbacks only after the outermost block has
committed, so a job is never enqueued for a row that a rollback removed.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator
from urllib.parse import urlparse, unquote

import peewee
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

db = peewee.DatabaseProxy()

# Seconds SQLite waits for another writer before giving up with "database is locked".
SQLITE_BUSY_TIMEOUT = 30
# Connections kept per process in the PostgreSQL pool.
PG_MAX_CONNECTIONS = 32
# SQLite connections kept open per process: opening one costs a file open and five PRAGMAs,
# which was an eighth of a webhook request; a request or job borrows one and gives it back.
SQLITE_MAX_CONNECTIONS = 64


class HubSqliteDatabase(PooledSqliteDatabase):
    """SQLite in WAL mode with pooled connections; write transactions take the lock up front.

    Under gevent the lock wait runs in gevent's threadpool: SQLite's busy handler sleeps in C,
    and while another process (a web worker, a Dramatiq worker) holds the write lock it would
    freeze every greenlet of this process. In a real thread it only blocks the waiting request.
    """

    def begin(self, lock_type: Any = None) -> None:
        if lock_type and _cooperative():
            with peewee.__exception_wrapper__:
                if self._try_begin(lock_type):
                    return
                import gevent

                cursor = self.cursor()
                gevent.get_hub().threadpool.apply(cursor.execute, (f"BEGIN {lock_type}",))
            return
        super().begin(lock_type)

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


def _cooperative() -> bool:
    """True in a gevent-patched process (gunicorn's gevent workers)."""
    try:
        from gevent import monkey
    except ImportError:  # pragma: no cover - gevent is a dependency of the web role
        return False
    return monkey.is_module_patched("socket")


def make_database(url: str) -> peewee.Database:
    """A peewee database for a `sqlite:///path`, a bare path or a `postgresql://` URL."""
    if url.startswith(("postgres://", "postgresql://")):
        parts = urlparse(url)
        return PooledPostgresqlDatabase(
            unquote(parts.path.lstrip("/")) or "postgres",
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            max_connections=PG_MAX_CONNECTIONS,
            stale_timeout=300,
            timeout=30,
            autoconnect=True,
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
    """Under gevent, one SQLite write transaction per process at a time, queued fairly.

    SQLite has one writer anyway; without this every waiting request spins in the busy handler
    with growing sleeps, and the unlucky ones wait seconds. Greenlets queue here instead, and
    only one per process waits for the file lock (against other processes).
    """
    if not (outermost and isinstance(db.obj, HubSqliteDatabase) and _cooperative()):
        yield
        return
    import os

    from gevent.lock import Semaphore

    turn = _writer_turns.get(os.getpid())  # one per process: gunicorn forks after import
    if turn is None:
        turn = _writer_turns.setdefault(os.getpid(), Semaphore(1))
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
