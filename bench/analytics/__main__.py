"""Analytics benchmark: rollup recomputation against a plain SQL aggregate of the same numbers.

    python -m bench.analytics --quick   (~50k messages)   |   --full   (1M messages, 30 days)

Creates its own PostgreSQL database (HUB_BENCH_DATABASE_URL's server, default local postgres),
loads it with COPY, times the full 30-day `recompute_range` (twice, best kept) and
`recompute_day` for each of the 30 days (rows already there, then with each day's rows deleted
first), and, in the same run, the same figures as plain GROUP BY
queries over the whole range (twice, best kept); checks all agree; drops the database.
"""
from __future__ import annotations

import json
import os
import sys
import time
from datetime import date, timedelta
from urllib.parse import urlparse

from bench.databases import create_database, drop_database
from bench.analytics.data import load
from bench.output import mode_parser, save

MODES = {"quick": {"messages": 50_000, "companies": 10}, "full": {"messages": 1_000_000, "companies": 100}}
DAYS = 30



def baseline(first: date, last: date, jit: bool = True) -> tuple[float, dict]:
    """The same figures as plain aggregates over the whole range, grouped by company/day/channel/agent.

    Run with the server's JIT setting and with JIT off (as the rollup runs): the best run counts.
    """
    from hub import analytics as a
    from hub import analytics_sql as q
    from hub.db import db

    start, end = a.day_bounds(first)[0], a.day_bounds(last)[1]
    ids = [r[0] for r in db.execute_sql("SELECT id FROM company").fetchall()]
    ins = ", ".join(["%s"] * len(ids))
    began = time.perf_counter()
    totals: dict = {}
    db.execute_sql("SET jit = " + ("DEFAULT" if jit else "off"))

    def add(day, **values):
        t = totals.setdefault(str(day), dict.fromkeys(a.FIELDS, 0.0))
        for k, v in values.items():
            t[k] += float(v or 0)

    for day, n in db.execute_sql(
            f"SELECT started_at::date, COUNT(*) FROM conversation WHERE company_id IN ({ins})"
            " AND started_at >= %s AND started_at < %s"
            " GROUP BY company_id, started_at::date, channel_id, assignee_id", ids + [start, end]):
        add(day, conversations_opened=n)
    for day, i, o in db.execute_sql(
            f"SELECT timestamp::date, SUM(CASE WHEN direction = 'in' THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN direction = 'out' THEN 1 ELSE 0 END) FROM message"
            f" WHERE company_id IN ({ins}) AND timestamp >= %s AND timestamp < %s AND NOT is_private"
            " AND sender_type IN ('customer', 'agent', 'bot')"
            " GROUP BY company_id, timestamp::date, channel_id,"
            " CASE WHEN sender_type = 'agent' THEN sender_user_id END", ids + [start, end]):
        add(day, messages_in=i, messages_out=o)
    for day, n, secs in db.execute_sql(
            f"SELECT ended_at::date, COUNT(*), SUM({q.secs('ended_at', 'started_at')}) FROM conversation"
            f" WHERE company_id IN ({ins}) AND ended_at >= %s AND ended_at < %s"
            " AND status IN ('closed', 'archived')"
            " GROUP BY company_id, ended_at::date, channel_id, assignee_id", ids + [start, end]):
        add(day, resolved_count=n, resolution_seconds=secs)
    for day, n in db.execute_sql(
            f"SELECT reopened_at::date, COUNT(*) FROM conversation WHERE company_id IN ({ins})"
            " AND reopened_at >= %s AND reopened_at < %s"
            " GROUP BY company_id, reopened_at::date, channel_id, assignee_id", ids + [start, end]):
        add(day, reopened_count=n)
    cte, params = _replies_sql(ids, start, end)
    for day, fn, fs, rn, rs in db.execute_sql(cte + f"""
            SELECT r.ts::date,
              SUM(CASE WHEN r.seg = 0 THEN 1 ELSE 0 END),
              SUM(CASE WHEN r.seg = 0 THEN GREATEST({q.secs('r.ts', 'r.anchor')}, 0) ELSE 0 END),
              SUM(CASE WHEN r.answered IS NOT NULL THEN 1 ELSE 0 END),
              SUM(CASE WHEN r.answered IS NOT NULL THEN {q.secs('r.ts', 'r.answered')} ELSE 0 END)
            FROM replies r GROUP BY r.co, r.ts::date, r.ch, r.uid""", params):
        add(day, first_response_count=fn, first_response_seconds=fs, response_count=rn,
            response_seconds=rs)
    elapsed = time.perf_counter() - began
    db.execute_sql("SET jit = DEFAULT")
    return elapsed, totals


def _replies_sql(ids: list, s, e) -> tuple[str, list]:
    """The baseline's own pairing of replies (PostgreSQL only), frozen as it was before the rollup
    got its own shape, so the ceiling does not move with the code it measures: every message of
    each conversation with a reply in the range, one window, one GROUP BY."""
    from hub.analytics_sql import anchor

    p, co = "%s", f"company_id IN ({', '.join(['%s'] * len(ids))})"
    params = list(ids)
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


def _stored_totals() -> dict:
    """Per-day company-wide sums of the stored rollups."""
    from hub import analytics as a
    from hub.db import db

    cols = ", ".join(f"SUM({f})" for f in a.FIELDS)
    return {str(row[0]): {f: float(v or 0) for f, v in zip(a.FIELDS, row[1:])}
            for row in db.execute_sql(f"SELECT day, {cols} FROM analytics_rollup"
                                      " WHERE channel_key = '' AND agent_key = '' GROUP BY day")}


def full_recompute(first: date, last: date) -> tuple[float, dict]:
    """All 30 days for every company at once (`hub analytics recompute --days 30`); seconds."""
    from hub import analytics as a

    began = time.perf_counter()
    a.recompute_range(None, first, last)
    return time.perf_counter() - began, _stored_totals()


def rollups(first: date) -> tuple[list[float], dict]:
    """Recompute every day on its own (all companies at once, as the nightly job does)."""
    from hub import analytics as a

    timings = []
    for n in range(DAYS):
        began = time.perf_counter()
        a.recompute_day(None, first + timedelta(days=n))
        timings.append(time.perf_counter() - began)
    return timings, _stored_totals()


def fresh_rollups(first: date) -> list[float]:
    """Each day again with its rows deleted first, so every row is written (as on a first run):
    `rollups` finds the rows the full recompute left and rewrites only those that changed."""
    from hub import analytics as a
    from hub.models import AnalyticsRollup

    timings = []
    for n in range(DAYS):
        day = first + timedelta(days=n)
        AnalyticsRollup.delete().where(AnalyticsRollup.day == day).execute()
        began = time.perf_counter()
        a.recompute_day(None, day)
        timings.append(time.perf_counter() - began)
    return timings


def _agree(x: dict, y: dict) -> bool:
    keys = set(x) | set(y)
    return all(abs(x.get(k, {}).get(f, 0) - y.get(k, {}).get(f, 0)) < 1e-3 * max(1, abs(x.get(k, {}).get(f, 0)))
               for k in keys for f in (x.get(k) or y.get(k)))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main(argv=None) -> int:
    parser = mode_parser("python -m bench.analytics",
                         "quick: ~50k messages (the default); full: 1M messages")
    args = parser.parse_args(argv)
    mode = args.mode
    params = {**MODES[mode], "days": DAYS, "agentsPerCompany": 20, "channelsPerCompany": 2}
    server = os.environ.get("HUB_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    database_url = create_database(server, "hub_bench")
    print(f"analytics bench mode={mode} params={json.dumps(params)} "
          f"database={urlparse(database_url).path.lstrip('/')}", flush=True)
    from hub import db as hubdb
    from hub.migrations import migrate

    try:
        hubdb.init_db(database_url)
        migrate()
        with hubdb.db.connection_context():
            began = time.perf_counter()
            first, last, counts = load(params)
            load_s = time.perf_counter() - began
            print(f"loaded {counts} in {load_s:.1f}s", flush=True)
            hubdb.db.execute_sql("ANALYZE")
            base_s, base_totals = baseline(first, last)
            full_s, full_totals = full_recompute(first, last)
            per_day, day_totals = rollups(first)
            fresh_days = fresh_rollups(first)
            fresh_totals = _stored_totals()
            base_s2, _ = baseline(first, last)  # again, warm, so neither side gets the cold cache
            base_s3, _ = baseline(first, last, jit=False)
            full_s2, _ = full_recompute(first, last)
            base, full = min(base_s, base_s2, base_s3), min(full_s, full_s2)
        result = {"mode": mode, "params": params, "rows": counts, "load_seconds": round(load_s, 2),
                  "load_avg_1m_at_end": round(os.getloadavg()[0], 2),
                  "baseline_seconds": round(base, 3), "baseline_runs": [round(base_s, 3), round(base_s2, 3), round(base_s3, 3)],
                  "full_recompute_seconds": round(full, 3),
                  "full_recompute_runs": [round(full_s, 3), round(full_s2, 3)],
                  "ratio": round(full / base, 2),
                  "days_one_by_one_seconds": round(sum(per_day), 3),
                  "day_p50_seconds": round(_pct(per_day, .5), 3),
                  "day_p99_seconds": round(_pct(per_day, .99), 3),
                  "day_max_seconds": round(max(per_day), 3),
                  "day_fresh_p50_seconds": round(_pct(fresh_days, .5), 3),
                  "day_fresh_p99_seconds": round(_pct(fresh_days, .99), 3),
                  "figures_agree": _agree(base_totals, full_totals) and _agree(base_totals, day_totals)
                  and _agree(base_totals, fresh_totals),
                  "targets": {"day_p50_under_1s": _pct(per_day, .5) < 1.0,
                              "day_max_under_1s": max(per_day) < 1.0,
                              "day_fresh_p50_under_1s": _pct(fresh_days, .5) < 1.0,
                              "full_within_3x": full / base <= 3}}
        save(f"analytics-{mode}", result)
    finally:
        drop_database(database_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
