"""Delivery benchmark: N agent messages through real Dramatiq worker processes to the emulator.

The emulator injects transient faults (HTTP 503) into a share of the sends; the hub must retry
them and deliver everything once. Reports messages/s (and its ratio to the channel's configured
rate limit), the share delivered, duplicates the emulator saw, p50/p99 time to `sent` (from the
commit of the stored messages), and the queue ceiling: a plain Dramatiq no-op actor through the
same workers. A second phase sets a limit well below the workers' capacity and checks that the
achieved rate matches it (ratio_to_limit close to 1). Uses SQLite and the embedded Redis in a
temporary dir, or REDIS_URL and a PostgreSQL server: with DATABASE_URL=postgresql://... the
bench creates a database of its own on that server and drops it at the end.
"""
from __future__ import annotations

import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.databases import create_database, drop_database, forget_namespace
from bench.output import mode_parser, save, stop_cleanly_on_sigterm
from hub.supervisor import die_with_parent

ROOT = Path(__file__).resolve().parents[2]
MODES = {
    "quick": dict(messages=300, contacts=60, processes=2, threads=8, fault_rate=0.10,
                  rate_per_second=80, low_limit=10),
    "full": dict(messages=3000, contacts=500, processes=2, threads=16, fault_rate=0.10,
                 rate_per_second=80, low_limit=20),
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
    url = os.environ.get("DATABASE_URL") or ""
    env["DATABASE_URL"] = create_database(url, "bench_deliver") if url.startswith("postgres") \
        else f"sqlite:///{tmp / 'hub.sqlite3'}"
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


def _phase(emulator, principal, conversations, channel_id: str, n: int, rate: float,
           fault_rate: float, label: str) -> dict:
    """Store `n` messages in one transaction (so every job is enqueued at its commit, and the
    clock measures delivery rather than storing), then wait until each is sent or failed."""
    from hub.db import transaction
    from hub.models import Channel, Delivery, DeliveryAttempt, Message, utcnow
    from hub.outbound import send_agent_message

    channel = Channel.get_by_id(channel_id)
    Channel.update(settings={**channel.settings, "ratePerSecond": rate}).where(
        Channel.id == channel_id).execute()
    emulator.state.reset()
    emulator.state.faults.configure(
        [{"type": "http_5xx", "status": 503, "rate": fault_rate}] if fault_rate else [], seed=11)
    Delivery.delete().execute()
    store_started = time.monotonic()
    with transaction():
        ids = [send_agent_message(principal, conversations[i % len(conversations)],
                                  content=f"{label} message {i}").id for i in range(n)]
        stored = time.monotonic() - store_started
        released_at = utcnow()
        started = time.monotonic()
    settled = lambda: Delivery.select().where(  # noqa: E731
        Delivery.status.in_(("sent", "failed"))).count() >= n
    _wait_until(settled, 600)
    elapsed = time.monotonic() - started
    sent = list(Message.select().where(Message.id.in_(ids) & (Message.status == "sent")))
    latencies = [(m.sent_at - released_at).total_seconds() for m in sent]
    # Between the first and the last `sent`: the rate once sending runs, without the start-up
    # of the jobs (which weighs heavily in a 5-second phase).
    spread = (max(latencies) - min(latencies)) if len(latencies) > 1 else 0.0
    steady = (len(latencies) - 1) / spread if spread > 0 else None
    return {
        "messages": n, "configured_limit_per_second": rate, "fault_rate": fault_rate,
        "messages_per_second": round(n / elapsed, 1),
        "ratio_to_limit": round(n / elapsed / rate, 3),
        "steady_messages_per_second": round(steady, 1) if steady else None,
        "steady_ratio_to_limit": round(steady / rate, 3) if steady else None,
        # The limit counts every request the provider receives, refused ones included: with 10%
        # faults retried, at most limit / 1.1 messages a second can succeed.
        "provider_requests_per_second": round(len(emulator.state.received) / elapsed, 1),
        "requests_ratio_to_limit": round(len(emulator.state.received) / elapsed / rate, 3),
        "delivered_share": round(len(sent) / n, 4),
        "emulator_delivered": len(emulator.state.delivered()),
        "duplicates": emulator.state.duplicates(),
        "faults_injected": sum(1 for r in emulator.state.received if r["fault"]),
        "retries": DeliveryAttempt.select().where(DeliveryAttempt.outcome == "retry").count(),
        "p50_seconds_to_sent": round(statistics.median(latencies), 3) if latencies else None,
        "p99_seconds_to_sent": round(_percentile(latencies, 0.99), 3),
        "elapsed_seconds": round(elapsed, 2), "seconds_to_store_all": round(stored, 2),
    }


def run(mode: str, overrides: dict | None = None) -> dict:
    params = {**MODES[mode], **{k: v for k, v in (overrides or {}).items() if v is not None}}
    load_before = os.getloadavg()
    print(f"bench.deliver mode={mode} " + " ".join(f"{k}={v}" for k, v in params.items()))
    tmp = Path(tempfile.mkdtemp(prefix="bench-deliver-"))
    env = _environment(tmp)
    os.environ.update(env)
    from connectors.emulators import EmulatorServer, EmulatorState
    from hub import db
    from hub.migrations import migrate
    from hub.models import Channel
    from hub.settings import configure, load_settings

    configure(load_settings(env))
    db.init_db(env["DATABASE_URL"])
    migrate()
    emulator = EmulatorServer(EmulatorState(seed=7)).start()
    workers = [subprocess.Popen([sys.executable, "-m", "dramatiq", "workers.actors",
                                 "--processes", "1", "--threads", str(params["threads"])],
                                cwd=ROOT, env={**os.environ, **env}, preexec_fn=die_with_parent,
                                stdout=subprocess.DEVNULL,
                                stderr=open(tmp / f"worker-{n}.log", "ab"))
               for n in range(params["processes"])]
    print(f"worker logs: {tmp}/worker-*.log", flush=True)
    try:
        db.open_connection()
        principal, conversations = _setup(params, emulator.url)
        channel_id = Channel.get().id
        time.sleep(3)  # workers booting
        baseline = _noop_baseline(params["messages"])
        faulty = _phase(emulator, principal, conversations, channel_id, params["messages"],
                        params["rate_per_second"], params["fault_rate"], "faulty")
        # A limit well below what the workers manage: the rate must be the limit's.
        low = params["low_limit"]
        limited = _phase(emulator, principal, conversations, channel_id, low * 5, low, 0.0,
                         "limited")
        result = {"bench": "deliver", "mode": mode, "params": params,
                  "database": "postgresql" if env["DATABASE_URL"].startswith("postgres")
                  else "sqlite", "cpus": os.cpu_count(),
                  "load_average_before": [round(x, 2) for x in load_before],
                  "load_average_after": [round(x, 2) for x in os.getloadavg()],
                  "baseline_noop_per_second": round(baseline, 1),
                  "ratio_to_noop": round(faulty["messages_per_second"] / baseline, 3),
                  "with_faults": faulty, "limit_bound": limited}
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
        if env["DATABASE_URL"].startswith("postgres"):
            db.db.obj.close_all()
            drop_database(env["DATABASE_URL"])
        if not env["REDIS_URL"].startswith("unix://"):  # a shared Redis, not the embedded one
            forget_namespace(env["REDIS_URL"], env["HUB_REDIS_NAMESPACE"])
        shutil.rmtree(tmp, ignore_errors=True)
    save(f"deliver-{mode}", result)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = mode_parser("python -m bench.deliver", __doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, help="worker processes (default per mode)")
    parser.add_argument("--threads", type=int, help="threads per worker process")
    parser.add_argument("--messages", type=int, help="messages in the phase with faults")
    args = parser.parse_args(argv)
    run(args.mode, {"processes": args.processes, "threads": args.threads,
                               "messages": args.messages})


if __name__ == "__main__":
    stop_cleanly_on_sigterm()
    main()
