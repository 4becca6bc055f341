"""Dramatiq middleware: a database connection per job, a log line per job, a heartbeat."""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections import Counter

from dramatiq.middleware import Middleware

from hub import db
from hub.redis_client import get_redis, key
from hub.settings import get_settings

log = logging.getLogger("hub.jobs")

# Seconds between heartbeats, and how long one counts as "seen alive recently".
HEARTBEAT_INTERVAL = 5
HEARTBEAT_TTL = 20


def heartbeat_pattern() -> str:
    return key("workers", "*")


def job_counter_key() -> str:
    return key("metrics", "jobs")


class DatabaseMiddleware(Middleware):
    """Open the database connection around each job and close it afterwards."""

    def after_process_boot(self, broker):
        db.init_db(get_settings().resolved_database_url)

    def before_process_message(self, broker, message):
        if db.db.obj is None:
            db.init_db(get_settings().resolved_database_url)
        db.open_connection()

    def after_process_message(self, broker, message, *, result=None, exception=None):
        db.close_connection()

    after_skip_message = after_process_message


class JobCounters:
    """Job outcome counts of this process not yet added to Redis's `job_counter_key()` hash.

    The broker's consumers (workers.broker.HubRedisConsumer) write them in the round trip that
    acknowledges a job, instead of one HINCRBY round trip per job:
    a job's own count is added here before its message is handed back to be acknowledged, so
    it is in Redis once the job is acknowledged (what /metrics and the tests read).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: Counter = Counter()

    def add(self, field: str, n: int = 1) -> None:
        with self._lock:
            self._pending[field] += n

    def take(self) -> dict[str, int]:
        """The pending counts, forgotten here (`add` them back if writing them fails)."""
        with self._lock:
            if not self._pending:
                return {}
            taken = dict(self._pending)
            self._pending.clear()
        return taken


job_counters = JobCounters()


class JobLogMiddleware(Middleware):
    """One log line per job with its ids and outcome; outcome counters for /metrics."""

    def __init__(self):
        self._started = threading.local()

    def before_process_message(self, broker, message):
        self._started.at = time.monotonic()

    def after_process_message(self, broker, message, *, result=None, exception=None):
        started = getattr(self._started, "at", time.monotonic())
        ms = int((time.monotonic() - started) * 1000)
        if exception is None:
            outcome = "ok"
        else:
            retries = message.options.get("retries", 0)
            outcome = "error"
            log.warning("job error actor=%s message_id=%s retries=%s error=%r",
                        message.actor_name, message.message_id, retries, exception)
        if log.isEnabledFor(logging.INFO):
            log.info("job actor=%s message_id=%s args=%s outcome=%s ms=%d",
                     message.actor_name, message.message_id, list(message.args)[:3], outcome, ms)
        job_counters.add(f"{message.actor_name}|{outcome}")

    def after_skip_message(self, broker, message):
        job_counters.add(f"{message.actor_name}|skipped")


class HeartbeatMiddleware(Middleware):
    """Each worker process says it is alive every few seconds, for /healthz."""

    def after_worker_boot(self, broker, worker):
        self._stop = threading.Event()
        self._key = key("workers", f"{socket.gethostname()}-{os.getpid()}")
        thread = threading.Thread(target=self._beat, name="hub-heartbeat", daemon=True)
        thread.start()

    def _beat(self):
        while not self._stop.is_set():
            try:
                get_redis().set(self._key, int(time.time()), ex=HEARTBEAT_TTL)
            except Exception:
                log.warning("heartbeat failed")
            self._stop.wait(HEARTBEAT_INTERVAL)

    def before_worker_shutdown(self, broker, worker):
        if hasattr(self, "_stop"):
            self._stop.set()
            try:
                get_redis().delete(self._key)
            except Exception:
                pass
