"""Loaded into the benchmark's worker process (`dramatiq workers.actors bench.inbound.probe`).

Counts what the worker sends to its stores: SQL statements through peewee (plus commits; an
EXECUTE of a prepared statement counts as the statement it runs, and is counted apart too, with
the PREPAREs that hub.prepared sent on its own, once per connection and statement),
Redis commands (a pipeline counts each command it carries) and finished jobs per actor. A
thread writes the cumulative counts to $HUB_BENCH_PROBE_FILE every 100 ms; the benchmark
takes differences between phases. Counting costs a dict update per call, nothing else.
"""
from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter

import peewee
import redis
from dramatiq.middleware import Middleware

from hub.prepared import counts as prepare_counts, statement_of

sql: Counter = Counter()
rds: Counter = Counter()
jobs: Counter = Counter()
trips: Counter = Counter()
prepared_sql: Counter = Counter()  # EXECUTEs of server-side prepared statements (PostgreSQL)
_lock = threading.Lock()


def _verb(text: str) -> str:
    return (text.lstrip().split(None, 1) or ["?"])[0].upper()


_execute_sql = peewee.Database.execute_sql


def execute_sql(self, sql_text, params=None, *args, **kwargs):
    # A prepared statement's EXECUTE counts as the statement it runs (SELECT, INSERT ...).
    underlying = statement_of(sql_text) if sql_text.startswith("EXECUTE") else None
    with _lock:
        sql[_verb(underlying or sql_text)] += 1
        if underlying is not None:
            prepared_sql["EXECUTE"] += 1
    return _execute_sql(self, sql_text, params, *args, **kwargs)


_commit = peewee.Database.commit


def commit(self):
    with _lock:
        sql["COMMIT"] += 1
    return _commit(self)


_execute_command = redis.Redis.execute_command


def execute_command(self, *args, **options):
    with _lock:
        rds[str(args[0]).upper()] += 1
        trips["redis"] += 1
    return _execute_command(self, *args, **options)


_pipeline_execute = redis.client.Pipeline.execute


def pipeline_execute(self, *args, **kwargs):
    with _lock:
        trips["redis"] += 1  # a pipeline is one round trip, whatever it carries
        for command_args, _ in self.command_stack:
            rds[str(command_args[0]).upper()] += 1
    return _pipeline_execute(self, *args, **kwargs)


def _counting_begin(original):
    def begin(self, *args, **kwargs):
        with _lock:
            sql["BEGIN"] += 1
        return original(self, *args, **kwargs)
    return begin


# BEGIN goes to the cursor directly, not through execute_sql: count it where it is issued.
for _cls in (peewee.Database, peewee.SqliteDatabase, peewee.PostgresqlDatabase):
    if "begin" in _cls.__dict__:
        _cls.begin = _counting_begin(_cls.__dict__["begin"])

peewee.Database.execute_sql = execute_sql
peewee.Database.commit = commit
redis.Redis.execute_command = execute_command
redis.client.Pipeline.execute = pipeline_execute


def _dump(path: str) -> None:
    while True:
        with _lock:
            data = {"sql": dict(sql), "redis": dict(rds), "jobs": dict(jobs), "trips": dict(trips),
                    "prepared": {**prepared_sql,
                                 **{k.upper(): v for k, v in prepare_counts.items()}},
                    "at": time.time()}
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(data, f)
        os.replace(tmp, path)
        time.sleep(0.1)


class ProbeMiddleware(Middleware):
    def after_worker_boot(self, broker, worker):
        path = os.environ.get("HUB_BENCH_PROBE_FILE")
        if path:
            threading.Thread(target=_dump, args=(path,), daemon=True).start()

    def after_process_message(self, broker, message, *, result=None, exception=None):
        with _lock:
            jobs[f"{message.actor_name}|{'ok' if exception is None else 'error'}"] += 1


from workers.broker import broker  # noqa: E402

broker.add_middleware(ProbeMiddleware())
