"""Ingest benchmark: signed webhooks into `hub web` vs a bare Flask endpoint, then the workers.

python -m bench.ingest --quick|--full [--database-url postgresql://...] [--redis-url redis://...]
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.ingest.load import blast

ROOT = Path(__file__).resolve().parents[2]
APP_SECRET = "bench-app-secret"
MODES = {"quick": {"requests": 3000, "concurrency": [32], "processes": 2, "web_workers": 2},
         "full": {"requests": 20000, "concurrency": [16, 32, 64], "processes": 2,
                  "web_workers": 2}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn(app: str, port: int, workers: int, env: dict) -> subprocess.Popen:
    """The same server settings as `hub web` (gevent, worker connections, timeouts)."""
    cmd = [sys.executable, "-m", "gunicorn", "--worker-class", "gevent", "--workers",
           str(workers), "--worker-connections", "4000", "--bind", f"127.0.0.1:{port}",
           "--graceful-timeout", "10", "--timeout", "60", app]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{app} did not start")


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, 15)
    proc.wait(timeout=20)


def setup(args, data_dir: Path) -> tuple[dict, str]:
    """Environment for the children, a migrated database and one WhatsApp channel."""
    env = dict(os.environ, HUB_DATA_DIR=str(data_dir), SECRET_KEY=secrets.token_hex(32),
               HUB_REDIS_NAMESPACE=f"bench{secrets.token_hex(3)}", HUB_LOG_LEVEL="WARNING",
               DATABASE_URL=args.database_url or f"sqlite:///{data_dir / 'hub.sqlite3'}")
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
    else:
        from hub.embedded_redis import EmbeddedRedis
        env["REDIS_URL"] = EmbeddedRedis(data_dir / "redis").start()
    os.environ.update(env)
    from hub import db
    from hub.crypto import encrypt_json
    from hub.migrations import migrate
    from hub.models import Channel, Company
    from hub.settings import configure, load_settings

    configure(load_settings(env))
    db.init_db(env["DATABASE_URL"])
    migrate()
    with db.connection():
        company = Company.create(name="Bench", settings={})
        channel = Channel.create(company=company, kind="whatsapp", name="bench", settings={},
                                 credentials_encrypted=encrypt_json({
                                     "accessToken": "t", "appSecret": APP_SECRET,
                                     "phoneNumberId": "106540352242922"}))
    return env, channel.id


def committed(ids: list[str]) -> int:
    from hub import db
    from hub.models import WebhookEvent

    found = 0
    with db.connection():
        for i in range(0, len(ids), 500):
            found += WebhookEvent.select().where(WebhookEvent.id.in_(ids[i:i + 500])).count()
    return found


def drain_rate(env: dict, expected: int, timeout: float) -> dict:
    """Start real workers on the queued events; messages stored per second until all are in."""
    from hub import db
    from hub.models import Message

    worker = subprocess.Popen([sys.executable, "-m", "dramatiq", "workers.actors", "--processes",
                               "1", "--threads", "8"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    t0, stored = time.perf_counter(), 0
    try:
        while time.perf_counter() - t0 < timeout:
            with db.connection():
                stored = Message.select().count()
            if stored >= expected:
                break
            time.sleep(0.25)
    finally:
        stop(worker)
    seconds = time.perf_counter() - t0
    return {"messages_expected": expected, "messages_stored": stored,
            "seconds": round(seconds, 2), "messages_per_second": round(stored / seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest")
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--database-url", default=None, help="default: embedded SQLite")
    parser.add_argument("--redis-url", default=None, help="default: embedded Redis")
    args = parser.parse_args()
    mode = "full" if args.full else "quick"
    params = MODES[mode]
    data_dir = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    env, channel_id = setup(args, data_dir)
    backend = "postgresql" if (args.database_url or "").startswith("postgres") else "sqlite"
    print(f"bench.ingest mode={mode} backend={backend} params={params}", flush=True)
    hub_port, bare_port = free_port(), free_port()
    hub = gunicorn("web.wsgi:app", hub_port, params["web_workers"], env)
    bare = gunicorn("bench.ingest.bare:app", bare_port, params["web_workers"], env)
    path = f"/webhooks/whatsapp/{channel_id}"
    runs, offset = [], 0
    try:
        warm = blast(hub_port, path, APP_SECRET, 200, 8, 1, 10**8)  # warm-up, both servers
        acked, messages = warm["acked_event_ids"], warm["acked_messages"]
        blast(bare_port, path, APP_SECRET, 200, 8, 1, 10**8)
        for concurrency in params["concurrency"]:
            offset += params["requests"]
            h = blast(hub_port, path, APP_SECRET, params["requests"], concurrency,
                      params["processes"], offset)
            b = blast(bare_port, path, APP_SECRET, params["requests"], concurrency,
                      params["processes"], offset + 5 * 10**7)
            acked += h.pop("acked_event_ids")
            messages += h.pop("acked_messages")
            b.pop("acked_event_ids"), b.pop("acked_messages")
            run = {"concurrency": concurrency, "hub": h, "bare": b,
                   "ratio_rps": round(h["rps"] / b["rps"], 3)}
            runs.append(run)
            print(json.dumps(run), flush=True)
    finally:
        stop(hub)
        stop(bare)
    found = committed(acked)
    print(f"acknowledged={len(acked)} committed={found}", flush=True)
    e2e = drain_rate(env, messages, timeout=600 if args.full else 120)
    print(json.dumps({"end_to_end": e2e}), flush=True)
    result = {"mode": mode, "backend": backend, "params": params, "runs": runs,
              "acknowledged": len(acked), "committed": found,
              "all_acknowledged_committed": found == len(acked), "end_to_end": e2e}
    out = ROOT / "bench" / "results" / f"ingest-{mode}.json"
    out.write_text(json.dumps(result, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
