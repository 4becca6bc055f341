"""Writing a recomputation's rollup rows: only the rows whose figures changed are rewritten.

A recomputation usually finds most of its rows as the previous run left them (the nightly run
of yesterday follows the 5-minute runs of that day; a range recompute follows the daily ones).
Deleting and re-inserting every row paid, per row, four index insertions, the company foreign
key check and a dead tuple, which cost about as much as computing the day. Rows are compared
as stored: PostgreSQL keeps the seconds in REAL (float4) columns.
"""
from __future__ import annotations

import csv
import io
from array import array
from datetime import date, datetime
from typing import Any, Optional

from hub import analytics_sql as q
from hub.db import db, is_postgres
from hub.models import AnalyticsRollup

# Rows written per INSERT statement and ids per DELETE (SQLite; PostgreSQL gets one COPY).
BATCH = 500

RowKey = tuple[str, date, str, str]  # company, day, channel key, agent key


def _key(row: dict[str, Any]) -> RowKey:
    return row["company"], row["day"], row["channel_key"], row["agent_key"]


def _comparable(fields: tuple[str, ...]):
    """A function giving a row's figures as their columns store them."""
    if not is_postgres():
        return tuple  # REAL is a double on SQLite
    seconds = [i for i, f in enumerate(fields) if f.endswith("seconds")]

    def as_float4(values) -> tuple:
        values = list(values)
        for i, v in zip(seconds, array("f", [values[i] for i in seconds]).tolist()):
            values[i] = v
        return tuple(values)
    return as_float4


def replace_rows(company_id: Optional[str], first: date, last: date, rows: list[dict[str, Any]],
                 fields: tuple[str, ...]) -> None:
    """Make the stored rollups of [first, last] (one company or all) equal to `rows`."""
    p = db.obj.param
    sql = (f"SELECT id, company_id, day, channel_key, agent_key, {', '.join(fields)}"
           f" FROM analytics_rollup WHERE day >= {p} AND day <= {p}")
    params: list[Any] = [first, last] if is_postgres() else [first.isoformat(), last.isoformat()]
    if company_id is not None:
        sql += f" AND company_id = {p}"
        params.append(company_id)
    same = _comparable(fields)
    stored = {(co, q.as_day(day), ch, ag): (rid, same(values))
              for rid, co, day, ch, ag, *values in db.execute_sql(sql, params).fetchall()}
    fresh = []
    for row in rows:
        old = stored.pop(_key(row), None)
        if old is not None and old[1] == same(row[f] for f in fields):
            continue  # unchanged: left as it is
        if old is not None:
            stored[_key(row)] = old  # changed: deleted below, then inserted anew
        fresh.append(row)
    _delete([rid for rid, _ in stored.values()])
    _insert(fresh)


def _delete(ids: list[str]) -> None:
    for i in range(0, len(ids), BATCH):
        AnalyticsRollup.delete().where(AnalyticsRollup.id.in_(ids[i:i + BATCH])).execute()


def _insert(rows: list[dict[str, Any]]) -> None:
    """Write rows built directly: peewee's per-row query building costs more than the SQL."""
    if not rows:
        return
    names = list(rows[0])
    columns = ", ".join(AnalyticsRollup._meta.fields[n].column_name for n in names)
    if is_postgres():
        # One COPY: measured ~1.6x faster than 500-row INSERTs for a day's 4.5k rows.
        buf = io.StringIO()
        csv.writer(buf).writerows([r"\N" if v is None else v for v in r.values()] for r in rows)
        buf.seek(0)
        db.cursor().copy_expert(
            f"COPY analytics_rollup ({columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buf)
        return
    one = "(" + ", ".join([db.obj.param] * len(names)) + ")"
    for i in range(0, len(rows), BATCH):
        batch = rows[i:i + BATCH]
        values = [q.param(v) if isinstance(v, datetime) else v for r in batch for v in r.values()]
        db.execute_sql(f"INSERT INTO analytics_rollup ({columns}) VALUES "
                       + ", ".join([one] * len(batch)), values)
