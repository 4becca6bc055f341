"""Delivery benchmark: N agent messages through real Dramatiq worker processes to the emulator.

The emulator injects transient faults (HTTP 503) into a share of the sends; the hub must retry
them and deliver everything once. Reports messages/s (and its ratio to the channel's configured
rate limit), the share delivered, duplicates the emulator saw, p50/p99 time from `queued` to
`sent` (from the commit of the stored messages), and the queue ceiling: a plain Dramatiq no-op actor through the same workers.
Uses the embedded SQLite + Redis in a temporary dir, or DATABASE_URL / REDIS_URL when set.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODES = {
    "quick": dict(messages=300, contacts=60, processes=2, threads=8, fault_rate=0.10,
                  rate_per_second=80),
    "full": dict(messages=3000, contacts=500, processes=2, threads=16, fault_rate=0.10,
                 rate_per_second=80),
}


def _environment(tmp: Path) -> dict[str, str]:
    """Settings shared by this process and the workers it starts."""
    env = {"HUB_DATA_DIR": str(tmp), "SECRET_KEY": "bench-" + secrets.token_hex(16),
           "HUB_REDIS_NAMESPACE": "bench" + secrets.token_hex(3), "HUB_LOG_LEVEL": "WARNING"}
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    else:
        from hub.embedded_redis import EmbeddedRedis

        env["REDIS_URL"] = EmbeddedRedis(tmp / "redis").start()
    env["DATABASE_URL"] = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'hub.sqlite3'}"
    return env


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def _wait_until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _setup(params: dict, emulator_url: str):
    """A company, a WhatsApp channel on the emulator and `contacts` conversations."""
    from datetime import timedelta

    from hub.auth import Principal
    from hub.companies import create_company
    from hub.contacts import upsert_contact
    from hub.conversations import ensure_open_conversation
    from hub.crypto import encrypt_json
    from hub.events import ContactProfile
    from hub.models import Channel, Conversation, utcnow

    company, admin = create_company("Bench", "bench@example.test", "benchmark password 1")
    channel = Channel.create(
        company=company, kind="whatsapp", name="bench",
        credentials_encrypted=encrypt_json({"accessToken": "t", "appSecret": "s",
                                            "phoneNumberId": "1100"}),
        settings={"apiBaseUrl": f"{emulator_url}/v21.0", "httpTimeout": 5,
                  "retryBaseSeconds": 0.2, "ratePerSecond": params["rate_per_second"]})
    conversations = []
    for n in range(params["contacts"]):
        contact = upsert_contact(company.id, channel.id,
                                 ContactProfile(external_id=f"1555{n:07d}", name=f"C{n}"))
        conversation, _ = ensure_open_conversation(company.id, channel.id, contact.id)
        Conversation.update(last_customer_message_at=utcnow() - timedelta(hours=1)).where(
            Conversation.id == conversation.id).execute()
        conversations.append(Conversation.get_by_id(conversation.id))
    return Principal(admin.id, company.id, "admin"), conversations


def _noop_baseline(n: int) -> float:
    """Messages/s of a no-op actor through the same workers (the queue ceiling)."""
    from hub.jobs import enqueue
    from hub.redis_client import get_redis
    from workers.middleware import job_counter_key

    started = time.monotonic()
    for i in range(n):
        enqueue("noop", str(i))
    done = lambda: int(get_redis().hget(job_counter_key(), "noop|ok") or 0) >= n  # noqa: E731
    _wait_until(done, 120)
    return n / (time.monotonic() - started)


def run(mode: str) -> dict:
    params = MODES[mode]
    print(f"bench.deliver mode={mode} " + " ".join(f"{k}={v}" for k, v in params.items()))
    tmp = Path(tempfile.mkdtemp(prefix="bench-deliver-"))
    env = _environment(tmp)
    os.environ.update(env)
    from connectors.emulators import EmulatorServer, EmulatorState
    from hub import db
    from hub.migrations import migrate
    from hub.db import transaction
    from hub.models import Delivery, DeliveryAttempt, Message, utcnow
    from hub.outbound import send_agent_message
    from hub.settings import configure, load_settings

    configure(load_settings(env))
    db.init_db(env["DATABASE_URL"])
    migrate()
    emulator = EmulatorServer(EmulatorState(seed=7)).start()
    workers = [subprocess.Popen([sys.executable, "-m", "dramatiq", "workers.actors",
                                 "--processes", "1", "--threads", str(params["threads"])],
                                cwd=ROOT, env={**os.environ, **env}, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for _ in range(params["processes"])]
    try:
        db.open_connection()
        principal, conversations = _setup(params, emulator.url)
        time.sleep(3)  # workers booting
        baseline = _noop_baseline(params["messages"])
        emulator.state.faults.configure([{"type": "http_5xx", "status": 503,
                                          "rate": params["fault_rate"]}], seed=11)
        n = params["messages"]
        # Stored in one transaction, so every deliver job is enqueued at its commit: the clock
        # measures delivery, not the speed of storing agent messages.
        store_started = time.monotonic()
        with transaction():
            for i in range(n):
                send_agent_message(principal, conversations[i % len(conversations)],
                                   content=f"bench message {i}")
            stored = time.monotonic() - store_started
            released_at = utcnow()
            started = time.monotonic()
        settled = lambda: Delivery.select().where(  # noqa: E731
            Delivery.status.in_(("sent", "failed"))).count() >= n
        _wait_until(settled, 600)
        elapsed = time.monotonic() - started
        sent = list(Message.select().where(Message.status == "sent"))
        latencies = [(m.sent_at - released_at).total_seconds() for m in sent]
        retries = DeliveryAttempt.select().where(DeliveryAttempt.outcome == "retry").count()
        result = {
            "bench": "deliver", "mode": mode, "params": params,
            "messages_per_second": round(n / elapsed, 1),
            "configured_limit_per_second": params["rate_per_second"],
            "ratio_to_limit": round(n / elapsed / params["rate_per_second"], 3),
            "baseline_noop_per_second": round(baseline, 1),
            "ratio_to_noop": round(n / elapsed / baseline, 3),
            "delivered_share": round(len(emulator.state.delivered()) and len(sent) / n, 4),
            "emulator_delivered": len(emulator.state.delivered()),
            "duplicates": emulator.state.duplicates(),
            "faults_injected": sum(1 for r in emulator.state.received if r["fault"]),
            "retries": retries,
            "p50_seconds_to_sent": round(statistics.median(latencies), 3) if latencies else None,
            "p99_seconds_to_sent": round(_percentile(latencies, 0.99), 3),
            "elapsed_seconds": round(elapsed, 2),
            "seconds_to_store_all": round(stored, 2),
        }
    finally:
        for proc in workers:
            proc.terminate()
        for proc in workers:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        emulator.stop()
        db.close_connection()
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "results" / f"deliver-{mode}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quick", action="store_const", dest="mode", const="quick")
    group.add_argument("--full", action="store_const", dest="mode", const="full")
    run(parser.parse_args(argv).mode or "quick")


if __name__ == "__main__":
    main()
