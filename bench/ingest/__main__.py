"""Ingest benchmark: signed webhooks into `hub web` vs a bare Flask endpoint, then the workers.

python -m bench.ingest --quick|--full [--database-url postgresql://user@host:5432/name]
                       [--redis-url redis://127.0.0.1:6379/0]

Without --database-url: SQLite in a temp dir (the embedded default); with one: a fresh database
`<name>_<random>` created on that server and dropped afterwards. Without --redis-url: the
embedded Redis; with one: that Redis under a namespace of this run. The hub and the bare app run
under the same gunicorn settings as `hub web`, in alternating rounds so machine load hits both
alike. Then every acknowledged event id is checked in the database, and real workers (the
settings of `hub worker`) process the backlog until every acknowledged event is done.
"""
from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from bench.databases import create_database, drop_database, forget_namespace
from bench.ingest.backend import (APP_SECRET, committed,
                                  prepare, progress, redact)
from bench.ingest.load import blast, summarize
from bench.ingest.servers import free_port, start_server, start_workers, stop
from bench.output import mode_parser, save, stop_cleanly_on_sigterm

MODES = {"quick": {"requests": 1000, "concurrency": [32], "rounds": 2, "sender_processes": 2,
                   "web_workers": 2, "drain_timeout_s": 900},
         "full": {"requests": 2000, "concurrency": [16, 32, 64], "rounds": 2,
                  "sender_processes": 2, "web_workers": 2, "drain_timeout_s": 3600}}
WARMUP = 200


def compare(hub_port: int, bare_port: int, path: str, params: dict, concurrency: int,
            offset: int) -> tuple[dict, list[str], int]:
    """Alternating hub/bare rounds at one concurrency; (figures, acked ids, acked messages)."""
    hub_rounds, bare_rounds, acked, messages = [], [], [], 0
    for round_no in range(params["rounds"]):
        order = [("hub", hub_port), ("bare", bare_port)]
        for name, port in order if round_no % 2 == 0 else order[::-1]:
            offset += params["requests"]
            result = blast(port, path, APP_SECRET, params["requests"], concurrency,
                           params["sender_processes"], offset)
            if name == "hub":
                acked += result.pop("acked_event_ids")
                messages += result.pop("acked_messages")
                hub_rounds.append(result)
            else:
                result.pop("acked_event_ids"), result.pop("acked_messages")
                bare_rounds.append(result)
    hub, bare = summarize(hub_rounds), summarize(bare_rounds)
    figures = {"concurrency": concurrency, "hub": hub, "bare": bare,
               "ratio_rps": round(hub["rps"] / bare["rps"], 3)}
    return figures, acked, messages


def drain(env: dict, acked: int, expected_messages: int, timeout: float) -> dict:
    """Real workers on the backlog; rates until every acknowledged event is processed."""
    from hub.settings import get_settings

    settings = get_settings()
    workers = start_workers(env, settings.worker_processes, settings.worker_threads)
    t0 = time.perf_counter()
    pending, failed, stored = progress()
    try:
        while time.perf_counter() - t0 < timeout:
            pending, failed, stored = progress()
            if pending == 0 and stored >= expected_messages:
                break
            time.sleep(0.5)
    finally:
        seconds = time.perf_counter() - t0
        stop(workers)
    return {"worker_processes": settings.worker_processes,
            "worker_threads": settings.worker_threads, "events": acked,
            "events_pending": pending, "events_failed": failed,
            "messages_expected": expected_messages, "messages_stored": stored,
            "complete": pending == 0 and failed == 0 and stored == expected_messages,
            "seconds": round(seconds, 2), "events_per_second": round(acked / seconds, 1),
            "messages_per_second": round(stored / seconds, 1)}


def run(args, mode: str, params: dict, backend: str, env: dict) -> dict:
    hub_port, bare_port = free_port(), free_port()
    hub = start_server("web.wsgi:app", hub_port, params["web_workers"], env)
    bare = start_server("bench.ingest.bare:app", bare_port, params["web_workers"], env)
    path = f"/webhooks/whatsapp/{env['BENCH_CHANNEL_ID']}"
    runs, offset = [], 0
    try:
        warm = blast(hub_port, path, APP_SECRET, WARMUP, 8, 1, 10**8)  # both servers warm
        blast(bare_port, path, APP_SECRET, WARMUP, 8, 1, 2 * 10**8)
        acked, messages = warm["acked_event_ids"], warm["acked_messages"]
        for concurrency in params["concurrency"]:
            figures, ids, count = compare(hub_port, bare_port, path, params, concurrency, offset)
            offset += 10**7
            acked, messages = acked + ids, messages + count
            runs.append(figures)
            print(json.dumps(figures), flush=True)
    finally:
        stop(hub)
        stop(bare)
    found = committed(acked)
    print(f"acknowledged={len(acked)} committed={found}", flush=True)
    e2e = drain(env, len(acked), messages, params["drain_timeout_s"])
    print(json.dumps({"end_to_end": e2e}), flush=True)
    return {"mode": mode, "backend": backend, "params": params, "runs": runs,
            "acknowledged": len(acked), "committed": found,
            "all_acknowledged_committed": found == len(acked), "end_to_end": e2e}


def main() -> None:
    parser = mode_parser("python -m bench.ingest")
    parser.add_argument("--database-url", default=None,
                        help="postgresql://... (a fresh database is created); default SQLite")
    parser.add_argument("--redis-url", default=None, help="default: embedded Redis")
    args = parser.parse_args()
    mode = args.mode
    params = dict(MODES[mode])
    backend = "postgresql" if (args.database_url or "").startswith("postgres") else "sqlite"
    database_url = None
    if backend == "postgresql":
        database_url = create_database(args.database_url, "bench_ingest")
    data_dir = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    env = None
    try:
        env = prepare(data_dir, database_url, args.redis_url)
        from bench.ingest.servers import server_command

        print(f"bench.ingest mode={mode} backend={backend} params={json.dumps(params)}\n"
              f"  database={redact(env['DATABASE_URL'])} redis={redact(env['REDIS_URL'])} "
              f"namespace={env['HUB_REDIS_NAMESPACE']}\n"
              f"  server={' '.join(server_command('<app>', 0, params['web_workers'])[1:])}\n"
              "  bodies: unique signed WhatsApp text webhooks of 1-3 KB, every 5th batching "
              "three messages", flush=True)
        result = run(args, mode, params, backend, env)
        result["database"] = redact(env["DATABASE_URL"]) if backend == "postgresql" else "sqlite"
        result["redis"] = "external" if args.redis_url else "embedded"
    finally:
        if database_url:
            drop_database(database_url)
        if args.redis_url and env:
            forget_namespace(args.redis_url, env["HUB_REDIS_NAMESPACE"])
    save(f"ingest-{mode}-{backend}", result)


if __name__ == "__main__":
    stop_cleanly_on_sigterm()
    main()
