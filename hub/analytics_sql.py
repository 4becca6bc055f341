"""SQL of the analytics rollups, for both dialects: one statement per pass over a range of days.

Every statement groups by UTC day as well, so a 30-day recomputation is the same two passes as
one day's (conversations; messages with replies), not thirty runs of them.
"""
from __future__ import annotations

from datetime import date, datetime
from collections.abc import Sequence
from typing import Any

from hub.db import db, is_postgres

# Conversation statuses that count as resolved.
RESOLVED = "('closed', 'archived')"


def secs(a: str, b: str) -> str:
    """Seconds from b to a."""
    if is_postgres():
        return f"EXTRACT(EPOCH FROM ({a}) - ({b}))"
    return f"((julianday({a}) - julianday({b})) * 86400.0)"


def greatest(a: str, b: str) -> str:
    return f"GREATEST({a}, {b})" if is_postgres() else f"MAX({a}, {b})"


def day_of(column: str) -> str:
    """The UTC day of a naive UTC timestamp column."""
    return f"CAST({column} AS date)" if is_postgres() else f"date({column})"


def param(value: datetime) -> Any:
    # SQLite stores peewee datetimes as text: compare text with text of the same shape.
    return value if is_postgres() else value.strftime("%Y-%m-%d %H:%M:%S")


def as_day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def in_list(column: str, ids: Sequence[str]) -> tuple[str, list[str]]:
    """`column IN (...)` and its parameters; always false for no ids (IN () is not SQL)."""
    if not ids:
        return "1 = 0", []
    return f"{column} IN ({', '.join([db.obj.param] * len(ids))})", list(ids)


def conversations_sql(every: Sequence[str], timed: Sequence[str], s: Any, e: Any) -> tuple[str, list]:
    """Opened, resolved (with seconds for `timed` companies) and reopened, in one statement.

    Rows: kind ('o', 'r', 'x'), day, company, channel, assignee, count, seconds. Each branch is
    a range scan of its own (company_id, <time>) index.
    """
    p = db.obj.param
    co_all, all_params = in_list("company_id", every)
    co_timed, timed_params = in_list("company_id", timed)
    sql = f"""
    SELECT 'o', {day_of('started_at')}, company_id, channel_id, assignee_id, COUNT(*), 0
    FROM conversation WHERE {co_all} AND started_at >= {p} AND started_at < {p}
    GROUP BY 2, company_id, channel_id, assignee_id
    UNION ALL
    SELECT 'r', {day_of('ended_at')}, company_id, channel_id, assignee_id, COUNT(*),
           SUM({secs('ended_at', 'started_at')})
    FROM conversation WHERE {co_timed} AND ended_at >= {p} AND ended_at < {p}
      AND status IN {RESOLVED}
    GROUP BY 2, company_id, channel_id, assignee_id
    UNION ALL
    SELECT 'x', {day_of('reopened_at')}, company_id, channel_id, assignee_id, COUNT(*), 0
    FROM conversation WHERE {co_all} AND reopened_at >= {p} AND reopened_at < {p}
    GROUP BY 2, company_id, channel_id, assignee_id"""
    return sql, all_params + [s, e] + timed_params + [s, e] + all_params + [s, e]


def resolved_rows_sql(ids: Sequence[str], s: Any, e: Any) -> tuple[str, list]:
    """Each resolved conversation of business-hours companies (durations measured in Python)."""
    p = db.obj.param
    co, params = in_list("company_id", ids)
    sql = (f"SELECT {day_of('ended_at')}, company_id, channel_id, assignee_id, started_at, ended_at"
           f" FROM conversation WHERE {co} AND ended_at >= {p} AND ended_at < {p}"
           f" AND status IN {RESOLVED}")
    return sql, params + [s, e]


def replies_sql(ids: Sequence[str], s: Any, e: Any) -> tuple[str, list]:
    """CTE `replies`: each human agent reply of the range, with the customer message it answers.

    A reply answers the earliest customer message since the previous agent reply; customer
    messages before a bot hand-off were the bot's to answer, and bot messages never count. One
    window numbers the agent replies before each message (`seg`): a segment holds the customer
    messages after reply k and reply k+1 that closes it, so one GROUP BY pairs them (seg 0 is
    the first response). Only conversations with a reply in the range are walked, through
    (conversation_id, timestamp). Company, channel and first-response anchor ride along, so no
    second join with conversation. CTEs are referenced once, so PostgreSQL inlines them and keeps
    its row estimates (a materialized CTE estimated at one row made it nest-loop).
    """
    p = db.obj.param
    co, params = in_list("company_id", ids)
    sql = f"""
    WITH convs AS (
      SELECT DISTINCT conversation_id AS cid FROM message
      WHERE {co} AND timestamp >= {p} AND timestamp < {p}
        AND sender_type = 'agent' AND direction = 'out' AND NOT is_private),
    rel AS (
      SELECT m.conversation_id AS cid, m.id AS mid, m.timestamp AS ts, m.sender_user_id AS uid,
             CASE WHEN m.sender_type = 'agent' THEN 1 ELSE 0 END AS is_agent,
             c.company_id AS co, c.channel_id AS ch, {anchor()} AS anchor
      FROM message m JOIN convs ON convs.cid = m.conversation_id
      JOIN conversation c ON c.id = m.conversation_id
      WHERE m.timestamp < {p} AND NOT m.is_private AND (
        (m.sender_type = 'agent' AND m.direction = 'out')
        OR (m.sender_type = 'customer' AND m.direction = 'in'
            AND (c.bot_handoff_at IS NULL OR m.timestamp >= c.bot_handoff_at)))),
    segs AS (
      SELECT rel.*, COALESCE(SUM(is_agent) OVER (PARTITION BY cid ORDER BY ts, mid
                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS seg
      FROM rel),
    replies AS (
      SELECT cid, seg, co, ch, anchor, MAX(CASE WHEN is_agent = 1 THEN ts END) AS ts,
             MAX(CASE WHEN is_agent = 1 THEN uid END) AS uid,
             MIN(CASE WHEN is_agent = 0 THEN ts END) AS answered
      FROM segs GROUP BY cid, seg, co, ch, anchor
      HAVING MAX(CASE WHEN is_agent = 1 THEN ts END) >= {p})
    """
    return sql, params + [s, e, e, s]


def anchor() -> str:
    """When the first-response clock starts: the later of start and bot hand-off."""
    return greatest("c.started_at", "COALESCE(c.bot_handoff_at, c.started_at)")


def messages_sql(every: Sequence[str], timed: Sequence[str], s: Any, e: Any) -> tuple[str, list]:
    """The message pass, one statement: 'm' rows count messages in and out (per sending agent),
    'r' rows sum first-response and response counts and seconds of `timed` companies.

    Rows: kind, day, company, channel, agent, in, out, first n, first s, response n, response s.
    Outgoing system notices and internal notes are not messages exchanged.
    """
    p = db.obj.param
    cte, reply_params = replies_sql(timed, s, e)
    co, params = in_list("company_id", every)
    return cte + f"""
    SELECT 'm', {day_of('timestamp')}, company_id, channel_id,
           CASE WHEN sender_type = 'agent' THEN sender_user_id END,
           SUM(CASE WHEN direction = 'in' THEN 1 ELSE 0 END),
           SUM(CASE WHEN direction = 'out' THEN 1 ELSE 0 END), 0, 0, 0, 0
    FROM message WHERE {co} AND timestamp >= {p} AND timestamp < {p} AND NOT is_private
      AND sender_type IN ('customer', 'agent', 'bot')
    GROUP BY 2, company_id, channel_id, 5
    UNION ALL
    SELECT 'r', {day_of('r.ts')}, r.co, r.ch, r.uid, 0, 0,
      SUM(CASE WHEN r.seg = 0 THEN 1 ELSE 0 END),
      SUM(CASE WHEN r.seg = 0 THEN {greatest(secs('r.ts', 'r.anchor'), '0')} ELSE 0 END),
      SUM(CASE WHEN r.answered IS NOT NULL THEN 1 ELSE 0 END),
      SUM(CASE WHEN r.answered IS NOT NULL THEN {secs('r.ts', 'r.answered')} ELSE 0 END)
    FROM replies r GROUP BY 2, r.co, r.ch, r.uid""", reply_params + params + [s, e]


def reply_rows_sql(ids: Sequence[str], s: Any, e: Any) -> tuple[str, list]:
    """Each reply of business-hours companies, for durations measured in Python."""
    cte, params = replies_sql(ids, s, e)
    return cte + f"""SELECT {day_of('r.ts')}, r.co, r.ch, r.uid, r.ts, r.answered, r.seg, r.anchor
        FROM replies r""", params
