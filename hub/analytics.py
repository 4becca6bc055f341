"""Analytics: the README's definitions computed per company, day, channel and agent.

A day is a UTC day. `compute_range` runs two passes over a range of days, each one SQL statement
grouped by day (hub/analytics_sql.py): conversations (opened, resolved, reopened) and messages
(counts, and first/average response times: a window pairs each agent reply with the customer
message it answers). `recompute_range` replaces the range's AnalyticsRollup rows in one
transaction (hub/analytics_store.py rewrites only the rows whose figures changed), so running it
twice gives the same rows; a day is a range of one. Companies with
`businessHours` get their durations measured in business time, in Python.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any, Optional

from hub import analytics_sql as q
from hub.analytics_store import replace_rows
from hub.business_hours import business_seconds, parse_hours
from hub.db import db, is_postgres, transaction
from hub.models import Company, new_id, utcnow

# Counters of one rollup row.
FIELDS = ("conversations_opened", "messages_in", "messages_out", "first_response_count",
          "first_response_seconds", "response_count", "response_seconds", "resolved_count",
          "resolution_seconds", "reopened_count")
# work_mem of the rollup statements on PostgreSQL.
SORT_MEMORY = "64MB"
# Which counter each kind of row of the conversation pass fills (count, seconds).
CONVERSATION_KINDS = {"o": ("conversations_opened", None),
                      "r": ("resolved_count", "resolution_seconds"),
                      "x": ("reopened_count", None)}

Key = tuple[str, Optional[str], Optional[str]]  # company, channel or None, agent or None
DayKey = tuple[date, str, Optional[str], Optional[str]]
Counters = dict[DayKey, dict[str, float]]


def _dt(value: Any) -> Optional[datetime]:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min)
    return start, start + timedelta(days=1)


def _run(statement: tuple[str, list]) -> list[tuple]:
    return list(db.execute_sql(*statement).fetchall())


def compute_range(company_id: Optional[str], first: date, last: date) -> Counters:
    """Counters per (day, company, channel, agent) of [first, last]; None means every company."""
    query = Company.select(Company.id, Company.settings)
    if company_id is not None:
        query = query.where(Company.id == company_id)
    companies = list(query)
    if not companies:
        return {}
    hours = {c.id: parse_hours((c.settings or {}).get("businessHours")) for c in companies}
    hours = {k: v for k, v in hours.items() if v}
    every = [c.id for c in companies]
    timed = [c for c in every if c not in hours]  # durations measured in SQL
    s, e = q.param(day_bounds(first)[0]), q.param(day_bounds(last)[1])
    with transaction():
        if is_postgres():
            # These statements cost just over the JIT threshold; compiling them took longer
            # (~0.7 s) than running a day's rollup. A month's window sort spills to disk in
            # the default 4 MB.
            db.execute_sql("SET LOCAL jit = off")
            db.execute_sql(f"SET LOCAL work_mem = '{SORT_MEMORY}'")
        conversation_rows = _run(q.conversations_sql(every, timed, s, e))
        message_rows = _run(q.messages_sql(every, timed, s, e))
        business_rows = _business_rows(list(hours), s, e) if hours else ([], [])
    out: Counters = defaultdict(lambda: dict.fromkeys(FIELDS, 0))

    def add(day: Any, co: str, ch: Optional[str], ag: Optional[str], **values: float) -> None:
        target = out[(q.as_day(day), co, ch, ag)]
        for name, value in values.items():
            target[name] += float(value or 0) if name.endswith("seconds") else (value or 0)

    for kind, day, co, ch, ag, n, seconds in conversation_rows:
        count, duration = CONVERSATION_KINDS[kind]
        add(day, co, ch, ag, **{count: n}, **({duration: seconds} if duration else {}))
    for kind, day, co, ch, ag, n_in, n_out, fr_n, fr_s, r_n, r_s in message_rows:
        if kind == "m":
            add(day, co, ch, ag, messages_in=n_in, messages_out=n_out)
        else:
            add(day, co, ch, ag, first_response_count=fr_n, first_response_seconds=fr_s,
                response_count=r_n, response_seconds=r_s)
    if hours:
        _business_durations(add, hours, *business_rows)
    return dict(out)


def _business_rows(ids: list[str], s: Any, e: Any) -> tuple[list[tuple], list[tuple]]:
    """Resolved conversations and replies of business-hours companies, row by row."""
    return _run(q.resolved_rows_sql(ids, s, e)), _run(q.reply_rows_sql(ids, s, e))


def _business_durations(add, hours: dict, resolved: list[tuple], replies: list[tuple]) -> None:
    """Resolution and response times of business-hours companies: opening-hours seconds only."""
    for day, co, ch, ag, started, ended in resolved:
        add(day, co, ch, ag, resolved_count=1,
            resolution_seconds=business_seconds(_dt(started), _dt(ended), hours[co]))
    for day, co, ch, ag, ts, answered, seg, anchor in replies:
        ts, bh = _dt(ts), hours[co]
        if seg == 0:
            add(day, co, ch, ag, first_response_count=1,
                first_response_seconds=business_seconds(_dt(anchor), ts, bh))
        if answered is not None:
            add(day, co, ch, ag, response_count=1,
                response_seconds=business_seconds(_dt(answered), ts, bh))


def compute_day(company_id: Optional[str], day: date) -> dict[Key, dict[str, float]]:
    """The day's counters per (company, channel, agent); company None means every company."""
    return {key[1:]: values for key, values in compute_range(company_id, day, day).items()}


def rollup_rows(day: date, counters: dict[Key, dict[str, float]]) -> list[dict[str, Any]]:
    """Rows per company for all, per channel, per agent and per channel-agent ('' = all)."""
    rows: dict[tuple[str, str, str], dict[str, float]] = {}
    for (co, ch, ag), values in counters.items():
        keys = {(co, "", "")}
        if ch:
            keys.add((co, ch, ""))
        if ag:
            keys.add((co, "", ag))
        if ch and ag:
            keys.add((co, ch, ag))
        for k in keys:
            target = rows.setdefault(k, dict.fromkeys(FIELDS, 0))
            for name in FIELDS:
                target[name] += values[name]
    now = utcnow()
    return [{"id": new_id(), "company": co, "day": day, "channel_key": ch, "agent_key": ag,
             "computed_at": now, **values} for (co, ch, ag), values in rows.items()]


def range_rows(counters: Counters) -> list[dict[str, Any]]:
    """Rollup rows of every day of a range's counters."""
    by_day: dict[date, dict[Key, dict[str, float]]] = defaultdict(dict)
    for (day, co, ch, ag), values in counters.items():
        by_day[day][(co, ch, ag)] = values
    return [row for day in sorted(by_day) for row in rollup_rows(day, by_day[day])]


def recompute_range(company_id: Optional[str], first: date, last: date) -> int:
    """Replace the rollups of [first, last] (one company, or all with None); returns rows."""
    rows = range_rows(compute_range(company_id, first, last))
    with transaction():
        if is_postgres():
            # Two recomputations of one day must not interleave their delete and insert; days
            # are locked in order so overlapping ranges cannot deadlock.
            day = first
            while day <= last:
                db.execute_sql("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"analytics:{day}",))
                day += timedelta(days=1)
        replace_rows(company_id, first, last, rows, FIELDS)
    return len(rows)


def recompute_day(company_id: Optional[str], day: date) -> int:
    """Replace the day's rollups (one company, or every company with None); returns rows."""
    return recompute_range(company_id, day, day)


from hub.analytics_report import dashboard, metrics, stats  # noqa: E402,F401  (public API)
