"""Raw webhook intake: commit the provider's body once, then enqueue its processing.

The webhook endpoint (web.webhooks.accept), Telegram polling and the widget call
`store_raw_event`; the provider gets its 2xx only after this returns, so an acknowledged
delivery is always in the database.

Concurrent deliveries are committed together (hub.coalesce): one multi-row
`INSERT ... ON CONFLICT DO NOTHING RETURNING id` for every body that arrived while the previous
batch was being written, then one Redis pipeline with their jobs (`process_webhooks`, a few
events a job). Per delivery that is a share of one round trip to each instead of a round trip
each (plus, on SQLite, one write transaction per batch instead of one per delivery): under load
most of a webhook's cost was these round trips. Nothing is answered before its batch has committed.

A delivery checked against a cached channel config (hub.webhook_channels) is written only if
that config is still the channel's: the INSERT takes its rows from a `VALUES` list filtered by
the channel row, so the check and the write are one statement.
"""
from __future__ import annotations

import logging
from typing import Any, Mapping, Optional, Sequence

import peewee

from connectors.base import header
from hub.coalesce import Coalescer
from hub.db import connection, db, is_postgres, transaction
from hub.jobs import enqueue_after_commit, enqueue_many
from hub.models import Channel, WebhookEvent, new_id, utcnow
from hub.webhook_channels import StaleChannel, guard_condition, guard_params

log = logging.getLogger("hub.intake")

# Headers kept with the raw event: enough to re-check or debug a delivery, nothing more.
KEPT_HEADERS = ("content-type", "user-agent", "x-hub-signature-256",
                "x-telegram-bot-api-secret-token", "x-request-id")

# Events one `process_webhooks` job carries at the most: small, so that the last of them does
# not wait long behind the first (a job runs its events one after the other).
EVENTS_PER_JOB = 4

# The columns a new event is written with, in the order of the batched INSERT's values.
COLUMNS = ("id", "company", "channel", "kind", "dedupe_key", "body", "headers", "status",
           "attempts", "received_at", "enqueued_at")
# In the guarded INSERT, each row of the VALUES list also carries the number of its channel's
# guard in the batch (-1 for a channel its caller read itself); SQLite and PostgreSQL both name
# the columns of a VALUES list column1, column2 ...
_CHANNEL_COLUMN = f"v.column{COLUMNS.index('channel') + 1}"
_GUARD_COLUMN = f"v.column{len(COLUMNS) + 1}"


def kept_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The subset of request headers stored with an event (secrets masked)."""
    kept = {}
    for name in KEPT_HEADERS:
        value = header(headers, name)
        if value is not None:
            kept[name] = "****" if "secret" in name else str(value)[:500]
    return kept


def store_raw_event(channel: Any, raw_body: bytes, dedupe_key: str,
                    headers: Mapping[str, str]) -> tuple[WebhookEvent, bool]:
    """Insert the raw event unless (channel, dedupe_key) exists; (row, created).

    `channel` is a Channel row or a `LiveChannel` (anything with id, company_id and kind).
    `process_webhook` is enqueued after the commit, only for a new row (a redelivery of a row
    still pending is left to its first job or the sweeper). Inside a caller's transaction the
    row joins that transaction; otherwise it is committed in a batch with concurrent ones.
    For a redelivery the returned row carries the existing event's id.

    A LiveChannel with a `guard` (a cached config) raises StaleChannel, storing nothing, if
    the channel is no longer live or no longer has that config.
    """
    now = utcnow()
    fields = dict(id=new_id(), company=channel.company_id, channel=channel.id,
                  kind=channel.kind, dedupe_key=dedupe_key[:128],
                  body=raw_body.decode("utf-8"), headers=kept_headers(headers),
                  status="pending", attempts=0, received_at=now, enqueued_at=now)
    if db.in_transaction():
        with transaction():
            inserted = _insert_one(fields)
            if inserted:
                enqueue_after_commit("process_webhook", fields["id"])
        event_id = fields["id"] if inserted else _existing_ids([fields])[_key(fields)]
    else:
        event_id, inserted = _batcher.submit((fields, getattr(channel, "guard", None)))
    return WebhookEvent(**{**fields, "id": event_id}), inserted


def _key(fields: Mapping[str, Any]) -> tuple[str, str]:
    return fields["channel"], fields["dedupe_key"]


def _insert_one(fields: dict[str, Any]) -> bool:
    """Insert unless the (channel, dedupe_key) row exists; True if this call inserted it."""
    return bool(list(WebhookEvent.insert(**fields).on_conflict_ignore()
                     .returning(WebhookEvent.id).tuples().execute()))


# A batch item: the event's fields and its channel's guard (None: not checked).
Item = tuple[dict[str, Any], Optional[tuple]]


def _store_batch(batch: Sequence[Item]) -> list[object]:
    """Commit a batch of new events; for each, (event id, created) or the error it met."""
    first: dict[tuple[str, str], Item] = {}
    for item in batch:  # the same delivery twice in one batch: one row
        first.setdefault(_key(item[0]), item)
    rows = list(first.values())
    # The connection goes back to the pool before the Redis round trip of the jobs.
    with connection():  # the webhook endpoint opens none: only the batch needs the database
        try:
            inserted = _insert_many(rows)
        except (peewee.IntegrityError, peewee.DataError) as exc:
            if len(rows) == 1:
                raise
            # One row the database refuses must not fail the deliveries batched with it.
            log.warning("batched intake refused (%r); inserting %d rows one by one", exc,
                        len(rows))
            return _store_one_by_one(batch)
    _enqueue([f["id"] for f, _ in rows if f["id"] in inserted])
    existing: dict[tuple[str, str], str] = {}
    not_inserted = [item for item in rows if item[0]["id"] not in inserted]
    if not_inserted:  # redeliveries, or a guard that no longer holds
        with connection():
            existing = _existing_ids(not_inserted)
    results: list[object] = []
    for fields, _ in batch:
        winner, guard = first[_key(fields)]
        if winner["id"] in inserted:
            results.append((winner["id"], fields is winner))
        elif _key(fields) in existing:
            results.append((existing[_key(fields)], False))
        elif guard is not None:
            results.append(StaleChannel(fields["channel"]))
        else:  # the row it collided with is gone again (erased): the provider retries
            results.append(peewee.OperationalError("the event it duplicates was just removed"))
    return results


def _store_one_by_one(batch: Sequence[Item]) -> list[object]:
    results: list[object] = []
    for item in batch:
        try:
            results.append(_store_batch([item])[0])
        except Exception as exc:  # this delivery's own error, answered to its own request
            results.append(exc)
    return results


def _insert_many(rows: Sequence[Item]) -> set[str]:
    """One INSERT of every row, skipping those whose (channel, dedupe_key) exists and those
    whose channel guard does not hold; the ids written.

    On PostgreSQL (autocommit) the statement is its own transaction; SQLite takes the write
    lock for it.
    """
    fields = [WebhookEvent._meta.fields[name] for name in COLUMNS]
    guards = list(dict.fromkeys(guard for _, guard in rows if guard is not None))
    number = {guard: n for n, guard in enumerate(guards)}
    params: list[Any] = []
    for row, guard in rows:
        params.extend(field.db_value(row[field.name]) for field in fields)
        if guards:
            params.append(number[guard] if guard is not None else -1)
    placeholder = "(" + ", ".join([db.param] * (len(fields) + bool(guards))) + ")"
    values = f"VALUES {', '.join([placeholder] * len(rows))}"
    if guards:
        matches = " OR ".join(f"({_GUARD_COLUMN} = {n} AND {guard_condition('c')})"
                              for n in range(len(guards)))
        for guard in guards:
            params.extend(guard_params(guard))
        values = (f"SELECT {', '.join(f'v.column{i + 1}' for i in range(len(fields)))} "
                  f"FROM ({values}) AS v WHERE {_GUARD_COLUMN} < 0 OR EXISTS (SELECT 1 FROM "
                  f"{Channel._meta.table_name} AS c WHERE c.id = {_CHANNEL_COLUMN} "
                  f"AND ({matches}))")
    sql = (f"INSERT INTO {WebhookEvent._meta.table_name} "
           f"({', '.join(f.column_name for f in fields)}) {values} "
           "ON CONFLICT (channel_id, dedupe_key) DO NOTHING RETURNING id")
    if is_postgres() and not db.in_transaction():
        cursor = db.execute_sql(sql, params)
        return {r[0] for r in cursor.fetchall()}
    with transaction():
        cursor = db.execute_sql(sql, params)
        return {r[0] for r in cursor.fetchall()}


def _enqueue(event_ids: list[str]) -> None:
    """The jobs of committed events; a failure is left to the sweeper (the rows say pending).

    Events of one batch go `EVENTS_PER_JOB` to a `process_webhooks` job: building and sending a
    Dramatiq message costs about as much CPU as the rest of a webhook's intake, and each job
    has its own overhead in the worker too. A lone event keeps its `process_webhook` job.
    """
    jobs = []
    for start in range(0, len(event_ids), EVENTS_PER_JOB):
        chunk = event_ids[start:start + EVENTS_PER_JOB]
        jobs.append(("process_webhook", (chunk[0],)) if len(chunk) == 1
                    else ("process_webhooks", (chunk,)))
    try:
        enqueue_many(jobs)
    except Exception:
        log.exception("enqueue of %d webhook events failed; left for the sweeper",
                      len(event_ids))


def _existing_ids(rows: Sequence[Item]) -> dict[tuple[str, str], str]:
    """The ids of the stored events these rows duplicate, where their guard still holds."""
    found: dict[tuple[str, str], str] = {}
    by_channel: dict[tuple[str, Optional[tuple]], list[str]] = {}
    for fields, guard in rows:
        by_channel.setdefault((fields["channel"], guard), []).append(fields["dedupe_key"])
    table = WebhookEvent._meta.table_name
    for (channel_id, guard), keys in by_channel.items():
        sql = (f"SELECT e.id, e.dedupe_key FROM {table} AS e WHERE e.channel_id = {db.param} "
               f"AND e.dedupe_key IN ({', '.join([db.param] * len(keys))})")
        params = [channel_id, *keys]
        if guard is not None:
            sql += (f" AND EXISTS (SELECT 1 FROM {Channel._meta.table_name} AS c "
                    f"WHERE c.id = e.channel_id AND {guard_condition('c')})")
            params += guard_params(guard)
        for event_id, dedupe_key in db.execute_sql(sql, params).fetchall():
            found[(channel_id, dedupe_key)] = event_id
    return found


_batcher: Coalescer[Item, tuple[str, bool]] = Coalescer(_store_batch)
