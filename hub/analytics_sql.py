"""SQL of the analytics rollups, for both dialects: one statement per pass over a range of days.

Every statement groups by UTC day as well, so a 30-day recomputation is the same two passes as
one day's (conversations; messages with replies), not thirty runs of them.
"""
from __future__ import annotations

from datetime import date, datetime
from collections.abc import Sequence
from typing import Any, Optional

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


def bytewise(column: str) -> str:
    """Compare text byte by byte (SQLite's default): PostgreSQL sorts ids far faster in "C" than
    through the database's locale, and ids need no linguistic order."""
    return f'{column} COLLATE "C"' if is_postgres() else column


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


def scanned_sql(ids: Sequence[str], s: Any, e: Any) -> tuple[str, list]:
    """CTE `scanned`: the range's messages exchanged (no notes, no system messages), read once.

    One range scan of message (company_id, timestamp) feeds both the counts and the replies.
    """
    p = db.obj.param
    co, params = in_list("company_id", ids)
    sql = f"""scanned AS (
      SELECT conversation_id AS cid, id AS mid, timestamp AS ts, sender_user_id AS uid,
             company_id AS co, channel_id AS ch, sender_type AS st, direction AS dir
      FROM message WHERE {co} AND timestamp >= {p} AND timestamp < {p} AND NOT is_private
        AND sender_type IN ('customer', 'agent', 'bot'))"""
    return sql, params + [s, e]


def replies_sql(ids: Sequence[str], s: Any, e: Any,
                scanned: Optional[Sequence[str]] = None) -> tuple[str, list]:
    """CTEs `scanned` (messages of the `scanned` companies, default `ids`) and `replies`: each
    human agent reply of `ids` in the range, with the customer message it answers.

    A reply answers the earliest customer message since the previous agent reply; customer
    messages before a bot hand-off were the bot's to answer, and bot messages never count. One
    window numbers the agent replies before each message (`seg`): a segment holds the messages
    after reply k and reply k+1 that closes it, so one GROUP BY pairs them (seg 0 is the first
    response). Rows that are neither a reply nor a customer message leave the counts alone, and
    segments without a reply in the range are dropped, so the range's rows need no filtering.

    Work stays proportional to the range: its rows come from `scanned`; for the conversations
    with a reply in it (`convs`) only their earlier history is read again, through (conversation_id,
    timestamp), and their conversation row is looked up by id and added to the thread as one
    extra row whose company, channel, first-response anchor and bot hand-off the window spreads
    over the conversation. Joining the range's rows with conversation instead made PostgreSQL
    scan the whole conversation table (or, on a CTE's row estimate, loop over it per message).
    """
    p = db.obj.param
    head, head_params = scanned_sql(ids if scanned is None else scanned, s, e)
    co, params = in_list("co", ids)
    is_agent = "CASE WHEN st = 'agent' AND dir = 'out' THEN 1 ELSE 0 END"
    # Typed NULLs: PostgreSQL types a UNION's columns branch by branch.
    none, never = "CAST(NULL AS VARCHAR(32))", "CAST(NULL AS TIMESTAMP)"
    sql = f"""
    WITH {head},
    convs AS (SELECT DISTINCT cid FROM scanned WHERE {co} AND st = 'agent' AND dir = 'out'),
    thread AS (
      SELECT cid, mid, ts, uid, st, dir, {none} AS cco, {none} AS cch, {never} AS canchor,
             {never} AS handoff
      FROM scanned WHERE {co}
      UNION ALL
      SELECT m.conversation_id, m.id, m.timestamp, m.sender_user_id, m.sender_type, m.direction,
             NULL, NULL, NULL, NULL
      FROM convs JOIN message m ON m.conversation_id = convs.cid
      WHERE m.timestamp < {p} AND NOT m.is_private
      UNION ALL
      SELECT c.id, NULL, NULL, NULL, 'conversation', NULL, c.company_id, c.channel_id, {anchor()},
             c.bot_handoff_at
      FROM convs JOIN conversation c ON c.id = convs.cid),
    segs AS (
      SELECT cid, ts, uid, {is_agent} AS is_agent,
             CASE WHEN st = 'customer' AND dir = 'in' THEN 1 ELSE 0 END AS is_customer,
             SUM({is_agent}) OVER w - {is_agent} AS seg, MAX(cco) OVER w AS co,
             MAX(cch) OVER w AS ch, MAX(canchor) OVER w AS anchor, MAX(handoff) OVER w AS handoff
      FROM thread
      WINDOW w AS (PARTITION BY {bytewise('cid')}
                   ORDER BY CASE WHEN mid IS NULL THEN 0 ELSE 1 END, ts, {bytewise('mid')}
                   ROWS UNBOUNDED PRECEDING)),
    replies AS (
      SELECT cid, seg, co, ch, anchor, MAX(CASE WHEN is_agent = 1 THEN ts END) AS ts,
             MAX(CASE WHEN is_agent = 1 THEN uid END) AS uid,
             MIN(CASE WHEN is_customer = 1 AND (handoff IS NULL OR ts >= handoff) THEN ts END)
               AS answered
      FROM segs WHERE co IS NOT NULL GROUP BY cid, seg, co, ch, anchor
      HAVING MAX(CASE WHEN is_agent = 1 THEN ts END) >= {p})
    """
    return sql, head_params + params + params + [s, s]


def anchor() -> str:
    """When the first-response clock starts: the later of start and bot hand-off."""
    return greatest("c.started_at", "COALESCE(c.bot_handoff_at, c.started_at)")


def messages_sql(every: Sequence[str], timed: Sequence[str], s: Any, e: Any) -> tuple[str, list]:
    """The message pass, one statement: 'm' rows count messages in and out (per sending agent),
    'r' rows sum first-response and response counts and seconds of `timed` companies.

    Rows: kind, day, company, channel, agent, in, out, first n, first s, response n, response s.
    Outgoing system notices and internal notes are not messages exchanged.
    """
    cte, params = replies_sql(timed, s, e, scanned=every)
    return cte + f"""
    SELECT 'm', {day_of('ts')}, co, ch, CASE WHEN st = 'agent' THEN uid END,
           SUM(CASE WHEN dir = 'in' THEN 1 ELSE 0 END),
           SUM(CASE WHEN dir = 'out' THEN 1 ELSE 0 END), 0, 0, 0, 0
    FROM scanned GROUP BY 2, co, ch, 5
    UNION ALL
    SELECT 'r', {day_of('r.ts')}, r.co, r.ch, r.uid, 0, 0,
      SUM(CASE WHEN r.seg = 0 THEN 1 ELSE 0 END),
      SUM(CASE WHEN r.seg = 0 THEN {greatest(secs('r.ts', 'r.anchor'), '0')} ELSE 0 END),
      SUM(CASE WHEN r.answered IS NOT NULL THEN 1 ELSE 0 END),
      SUM(CASE WHEN r.answered IS NOT NULL THEN {secs('r.ts', 'r.answered')} ELSE 0 END)
    FROM replies r GROUP BY 2, r.co, r.ch, r.uid""", params


def reply_rows_sql(ids: Sequence[str], s: Any, e: Any) -> tuple[str, list]:
    """Each reply of business-hours companies, for durations measured in Python."""
    cte, params = replies_sql(ids, s, e)
    return cte + f"""SELECT {day_of('r.ts')}, r.co, r.ch, r.uid, r.ts, r.answered, r.seg, r.anchor
        FROM replies r""", params
