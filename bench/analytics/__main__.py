"""Analytics benchmark: rollup recomputation against a plain SQL aggregate of the same numbers.

    python -m bench.analytics --quick   (~50k messages)   |   --full   (1M messages, 30 days)

Creates its own PostgreSQL database (HUB_BENCH_DATABASE_URL's server, default local postgres),
loads it with COPY, times `recompute_day` for each of the 30 days and, in the same run, the same
figures as plain GROUP BY queries over the whole range; checks both agree; drops the database.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from bench.analytics.data import load

RESULTS = Path(__file__).resolve().parents[1] / "results"
MODES = {"quick": {"messages": 50_000, "companies": 10}, "full": {"messages": 1_000_000, "companies": 100}}
DAYS = 30


def _admin(url: str):
    import psycopg2

    conn = psycopg2.connect(url)
    conn.autocommit = True
    return conn


def baseline(first: date, last: date) -> tuple[float, dict]:
    """The same figures as plain aggregates over the whole range, grouped by company/day/channel/agent."""
    from hub import analytics as a
    from hub.db import db

    start, end = a.day_bounds(first)[0], a.day_bounds(last)[1]
    ids = [r[0] for r in db.execute_sql("SELECT id FROM company").fetchall()]
    ins = ", ".join(["%s"] * len(ids))
    began = time.perf_counter()
    totals: dict = {}

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
    for day, n, secs, reopened in db.execute_sql(
            f"SELECT ended_at::date, COUNT(*), SUM({a._secs('ended_at', 'started_at')}),"
            " SUM(CASE WHEN reopened_count > 0 THEN 1 ELSE 0 END) FROM conversation"
            f" WHERE company_id IN ({ins}) AND ended_at >= %s AND ended_at < %s"
            " AND status IN ('closed', 'archived')"
            " GROUP BY company_id, ended_at::date, channel_id, assignee_id", ids + [start, end]):
        add(day, resolved_count=n, resolution_seconds=secs, reopened_count=reopened)
    anchor = a._anchor()
    for day, fn, fs, rn, rs in db.execute_sql(a.replies_sql(ins) + f"""
            SELECT r.ts::date,
              SUM(CASE WHEN r.agent_seq = 1 THEN 1 ELSE 0 END),
              SUM(CASE WHEN r.agent_seq = 1 THEN GREATEST({a._secs('r.ts', anchor)}, 0) ELSE 0 END),
              SUM(CASE WHEN r.answered IS NOT NULL THEN 1 ELSE 0 END),
              SUM(CASE WHEN r.answered IS NOT NULL THEN {a._secs('r.ts', 'r.answered')} ELSE 0 END)
            FROM replies r JOIN conversation c ON c.id = r.cid
            GROUP BY c.company_id, r.ts::date, c.channel_id, r.uid""", ids + [start, end, end, start]):
        add(day, first_response_count=fn, first_response_seconds=fs, response_count=rn,
            response_seconds=rs)
    return time.perf_counter() - began, totals


def rollups(first: date) -> tuple[list[float], dict]:
    """Recompute every day (all companies at once, as the nightly job does); per-day seconds."""
    from hub import analytics as a
    from hub.db import db

    timings = []
    for n in range(DAYS):
        began = time.perf_counter()
        a.recompute_day(None, first + timedelta(days=n))
        timings.append(time.perf_counter() - began)
    totals: dict = {}
    cols = ", ".join(f"SUM({f})" for f in a.FIELDS)
    for row in db.execute_sql(f"SELECT day, {cols} FROM analytics_rollup WHERE channel_key = ''"
                              " AND agent_key = '' GROUP BY day"):
        totals[str(row[0])] = {f: float(v or 0) for f, v in zip(a.FIELDS, row[1:])}
    return timings, totals


def _agree(x: dict, y: dict) -> bool:
    keys = set(x) | set(y)
    return all(abs(x.get(k, {}).get(f, 0) - y.get(k, {}).get(f, 0)) < 1e-3 * max(1, abs(x.get(k, {}).get(f, 0)))
               for k in keys for f in (x.get(k) or y.get(k)))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.analytics")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quick", action="store_true", help="~50k messages (default)")
    group.add_argument("--full", action="store_true", help="1M messages")
    args = parser.parse_args(argv)
    mode = "full" if args.full else "quick"
    params = {**MODES[mode], "days": DAYS, "agentsPerCompany": 20, "channelsPerCompany": 2}
    server = os.environ.get("HUB_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    parts = urlparse(server)
    name = f"hub_bench_{secrets.token_hex(4)}"
    admin = _admin(urlunparse(parts._replace(path="/postgres")))
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    print(f"analytics bench mode={mode} params={json.dumps(params)} database={name}", flush=True)
    from hub import db as hubdb
    from hub.migrations import migrate

    try:
        hubdb.init_db(urlunparse(parts._replace(path=f"/{name}")))
        migrate()
        with hubdb.db.connection_context():
            began = time.perf_counter()
            first, last, counts = load(params)
            load_s = time.perf_counter() - began
            print(f"loaded {counts} in {load_s:.1f}s", flush=True)
            hubdb.db.execute_sql("ANALYZE")
            base_s, base_totals = baseline(first, last)
            per_day, roll_totals = rollups(first)
            base_s2, _ = baseline(first, last)  # again, warm, so neither side gets the cold cache
            base = min(base_s, base_s2)
        total = sum(per_day)
        result = {"mode": mode, "params": params, "rows": counts, "load_seconds": round(load_s, 2),
                  "baseline_seconds": round(base, 3), "rollup_seconds": round(total, 3),
                  "ratio": round(total / base, 2), "day_p50_seconds": round(_pct(per_day, .5), 3),
                  "day_p99_seconds": round(_pct(per_day, .99), 3),
                  "day_max_seconds": round(max(per_day), 3),
                  "figures_agree": _agree(base_totals, roll_totals),
                  "targets": {"day_under_1s": max(per_day) < 1.0, "full_within_3x": total / base <= 3}}
        print(json.dumps(result, indent=2))
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"analytics-{mode}.json").write_text(json.dumps(result, indent=2) + "\n")
    finally:
        hubdb.close_connection()
        if isinstance(hubdb.db.obj, hubdb.PooledPostgresqlDatabase):
            hubdb.db.obj.close_all()
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
