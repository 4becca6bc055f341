"""Analytics: the README's definitions computed per company, day, channel and agent.

A day is a UTC day. `compute_day` runs a handful of SQL aggregates over that day (window
functions pair each agent reply with the customer message it answers); `recompute_day` replaces
the day's AnalyticsRollup rows in one transaction, so running it twice gives the same rows.
Companies with `businessHours` get their durations measured in business time, in Python.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any, Iterable, Optional

from hub.business_hours import business_seconds, parse_hours
from hub.db import db, is_postgres, transaction
from hub.models import AnalyticsRollup, Company, new_id, utcnow

# Counters of one rollup row, in the order the SQL below fills them.
FIELDS = ("conversations_opened", "messages_in", "messages_out", "first_response_count",
          "first_response_seconds", "response_count", "response_seconds", "resolved_count",
          "resolution_seconds", "reopened_count")
# Rows written per INSERT statement.
INSERT_BATCH = 500

Key = tuple[str, Optional[str], Optional[str]]  # company, channel or None, agent or None


def _secs(a: str, b: str) -> str:
    if is_postgres():
        return f"EXTRACT(EPOCH FROM ({a}) - ({b}))"
    return f"((julianday({a}) - julianday({b})) * 86400.0)"


def _greatest(a: str, b: str) -> str:
    return f"GREATEST({a}, {b})" if is_postgres() else f"MAX({a}, {b})"


def _param(value: datetime) -> Any:
    # SQLite stores peewee datetimes as text: compare text with text of the same shape.
    return value if is_postgres() else value.strftime("%Y-%m-%d %H:%M:%S")


def _dt(value: Any) -> Optional[datetime]:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min)
    return start, start + timedelta(days=1)


def replies_sql(ins: str) -> str:
    """Each human agent reply of the day with its rank and the customer message it answers.

    A reply answers the earliest customer message since the previous agent reply; customer
    messages before a bot hand-off were the bot's to answer, and bot messages never count.
    """
    p = db.obj.param
    return f"""
    WITH convs AS (
      SELECT DISTINCT conversation_id AS cid FROM message
      WHERE company_id IN ({ins}) AND timestamp >= {p} AND timestamp < {p}
        AND sender_type = 'agent' AND direction = 'out' AND NOT is_private),
    rel AS (
      SELECT m.conversation_id AS cid, m.id AS mid, m.timestamp AS ts, m.sender_user_id AS uid,
             CASE WHEN m.sender_type = 'agent' THEN 1 ELSE 0 END AS is_agent
      FROM message m JOIN convs ON convs.cid = m.conversation_id
      JOIN conversation c ON c.id = m.conversation_id
      WHERE m.timestamp < {p} AND NOT m.is_private AND (
        (m.sender_type = 'agent' AND m.direction = 'out')
        OR (m.sender_type = 'customer' AND m.direction = 'in'
            AND (c.bot_handoff_at IS NULL OR m.timestamp >= c.bot_handoff_at)))),
    w1 AS (
      SELECT rel.*, LAG(is_agent) OVER (PARTITION BY cid ORDER BY ts, mid) AS prev_agent,
             SUM(is_agent) OVER (PARTITION BY cid ORDER BY ts, mid
                                 ROWS UNBOUNDED PRECEDING) AS agent_seq
      FROM rel),
    w2 AS (
      SELECT w1.*, MAX(CASE WHEN is_agent = 0 AND (prev_agent IS NULL OR prev_agent = 1)
                            THEN ts END)
               OVER (PARTITION BY cid ORDER BY ts, mid ROWS UNBOUNDED PRECEDING) AS run_start
      FROM w1),
    replies AS (
      SELECT cid, uid, ts, agent_seq, CASE WHEN prev_agent = 0 THEN run_start END AS answered
      FROM w2 WHERE is_agent = 1 AND ts >= {p})
    """


def _anchor() -> str:
    return _greatest("c.started_at", "COALESCE(c.bot_handoff_at, c.started_at)")


def _run(sql: str, params: list) -> list[tuple]:
    return list(db.execute_sql(sql, params).fetchall())


def compute_day(company_id: Optional[str], day: date) -> dict[Key, dict[str, float]]:
    """The day's counters per (company, channel, agent); company None means every company."""
    start, end = day_bounds(day)
    query = Company.select(Company.id, Company.settings)
    if company_id is not None:
        query = query.where(Company.id == company_id)
    companies = list(query)
    if not companies:
        return {}
    ids = [c.id for c in companies]
    hours = {c.id: parse_hours((c.settings or {}).get("businessHours")) for c in companies}
    hours = {k: v for k, v in hours.items() if v}
    ins = ", ".join([db.obj.param] * len(ids))
    p, s, e = db.obj.param, _param(start), _param(end)
    out: dict[Key, dict[str, float]] = defaultdict(lambda: dict.fromkeys(FIELDS, 0))

    def add(key: Key, **values: float) -> None:
        for name, value in values.items():
            out[key][name] += value or 0

    for co, ch, ag, n in _run(
            f"SELECT company_id, channel_id, assignee_id, COUNT(*) FROM conversation"
            f" WHERE company_id IN ({ins}) AND started_at >= {p} AND started_at < {p}"
            f" GROUP BY company_id, channel_id, assignee_id", ids + [s, e]):
        add((co, ch, ag), conversations_opened=n)
    # Outgoing system notices and internal notes are not messages exchanged.
    for co, ch, ag, n_in, n_out in _run(
            f"SELECT company_id, channel_id,"
            f" CASE WHEN sender_type = 'agent' THEN sender_user_id END AS agent,"
            f" SUM(CASE WHEN direction = 'in' THEN 1 ELSE 0 END),"
            f" SUM(CASE WHEN direction = 'out' THEN 1 ELSE 0 END) FROM message"
            f" WHERE company_id IN ({ins}) AND timestamp >= {p} AND timestamp < {p}"
            f" AND NOT is_private AND sender_type IN ('customer', 'agent', 'bot')"
            f" GROUP BY company_id, channel_id, agent", ids + [s, e]):
        add((co, ch, ag), messages_in=n_in, messages_out=n_out)
    for co, ch, ag, started, ended, reopened in _run(
            f"SELECT company_id, channel_id, assignee_id, started_at, ended_at, reopened_count"
            f" FROM conversation WHERE company_id IN ({ins}) AND ended_at >= {p}"
            f" AND ended_at < {p} AND status IN ('closed', 'archived')", ids + [s, e]):
        add((co, ch, ag), resolved_count=1, reopened_count=1 if reopened else 0,
            resolution_seconds=business_seconds(_dt(started), _dt(ended), hours.get(co)))
    replies = replies_sql(ins)
    anchor = _anchor()
    params = ids + [s, e, e, s]
    for co, ch, ag, fr_n, fr_s, r_n, r_s in _run(
            replies + f"""SELECT c.company_id, c.channel_id, r.uid,
              SUM(CASE WHEN r.agent_seq = 1 THEN 1 ELSE 0 END),
              SUM(CASE WHEN r.agent_seq = 1 THEN {_greatest(_secs('r.ts', anchor), '0')} ELSE 0 END),
              SUM(CASE WHEN r.answered IS NOT NULL THEN 1 ELSE 0 END),
              SUM(CASE WHEN r.answered IS NOT NULL THEN {_secs('r.ts', 'r.answered')} ELSE 0 END)
            FROM replies r JOIN conversation c ON c.id = r.cid
            GROUP BY c.company_id, c.channel_id, r.uid""", params):
        if co in hours:
            continue  # measured in business time below
        add((co, ch, ag), first_response_count=fr_n, first_response_seconds=float(fr_s or 0),
            response_count=r_n, response_seconds=float(r_s or 0))
    if hours:
        _business_replies(add, list(hours), hours, day)
    return dict(out)


def _business_replies(add, ids: list[str], hours: dict, day: date) -> None:
    """Response times of business-hours companies: seconds inside opening hours only."""
    start, end = day_bounds(day)
    ins = ", ".join([db.obj.param] * len(ids))
    sql = replies_sql(ins) + """SELECT c.company_id, c.channel_id, r.uid, r.ts, r.answered,
        r.agent_seq, c.started_at, c.bot_handoff_at
        FROM replies r JOIN conversation c ON c.id = r.cid"""
    rows = _run(sql, ids + [_param(start), _param(end), _param(end), _param(start)])
    for co, ch, ag, ts, answered, seq, started, handoff in rows:
        ts, bh = _dt(ts), hours[co]
        if seq == 1:
            anchor = max(_dt(started), _dt(handoff) or _dt(started))
            add((co, ch, ag), first_response_count=1,
                first_response_seconds=business_seconds(anchor, ts, bh))
        if answered is not None:
            add((co, ch, ag), response_count=1,
                response_seconds=business_seconds(_dt(answered), ts, bh))


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


def recompute_day(company_id: Optional[str], day: date) -> int:
    """Replace the day's rollups (one company, or every company with None); returns rows."""
    rows = rollup_rows(day, compute_day(company_id, day))
    with transaction():
        if is_postgres():
            # Two recomputations of one day must not interleave their delete and insert.
            db.execute_sql("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"analytics:{day}",))
        query = AnalyticsRollup.delete().where(AnalyticsRollup.day == day)
        if company_id is not None:
            query = query.where(AnalyticsRollup.company == company_id)
        query.execute()
        _insert(rows)
    return len(rows)


def _insert(rows: list[dict[str, Any]]) -> None:
    """Multi-row INSERTs built directly: peewee's per-row query building costs more than the SQL."""
    if not rows:
        return
    names = list(rows[0])
    columns = ", ".join(AnalyticsRollup._meta.fields[n].column_name for n in names)
    one = "(" + ", ".join([db.obj.param] * len(names)) + ")"
    for i in range(0, len(rows), INSERT_BATCH):
        batch = rows[i:i + INSERT_BATCH]
        values = [_param(v) if isinstance(v, datetime) else v for r in batch for v in r.values()]
        db.execute_sql(f"INSERT INTO analytics_rollup ({columns}) VALUES "
                       + ", ".join([one] * len(batch)), values)


def recompute_range(company_id: Optional[str], days: Iterable[date]) -> int:
    """Recompute several days; returns the rows written."""
    return sum(recompute_day(company_id, d) for d in days)


from hub.analytics_report import dashboard, metrics, stats  # noqa: E402,F401  (public API)
