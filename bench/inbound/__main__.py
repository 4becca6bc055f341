"""Inbound worker benchmark: what one Dramatiq worker process spends per inbound message.

python -m bench.inbound --quick|--full [--database-url postgresql://...] [--redis-url redis://...]
                        [--threads 8] [--messages N] [--profile]   (py-spy, the `.[bench]` extra)

Seeds the realtime benchmark's shape (companies x agents online, a WhatsApp channel each,
`contacts` contacts per company, so about half the messages open a new conversation, which is
then routed), stores the raw webhook bodies as the web intake does, then lets ONE worker process
(`dramatiq workers.actors bench.inbound.probe`, 1 process) drain them. Reported per inbound
message: worker CPU ms (psutil, the worker's processes only, routing jobs included), SQL
statements and commits, Redis commands (broker traffic included; by command), and messages/s.
The baseline, measured first in the same run and the same worker: the same number of jobs of a
no-op actor through the same RedisBroker (the queue ceiling). CPU figures are the trustworthy
ones on a shared machine; messages/s is wall time and moves with whatever else runs.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from bench.databases import create_database, drop_database, forget_namespace
from bench.machine import cpu_seconds, named_cpu_seconds
from bench.output import mode_parser, save, stop_cleanly_on_sigterm
from hub.supervisor import die_with_parent

ROOT = Path(__file__).resolve().parents[2]
MODES = {"quick": dict(companies=100, agents=20, contacts=10, messages=2000, threads=8),
         "full": dict(companies=100, agents=20, contacts=30, messages=6000, threads=8)}


def _environment(args, tmp: Path) -> dict[str, str]:
    env = {"HUB_DATA_DIR": str(tmp), "SECRET_KEY": "bench-" + secrets.token_hex(16),
           "HUB_REDIS_NAMESPACE": "bench" + secrets.token_hex(3), "HUB_LOG_LEVEL": "WARNING",
           "HUB_BENCH_PROBE_FILE": str(tmp / "probe.json")}
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
    else:
        from hub.embedded_redis import EmbeddedRedis

        env["REDIS_URL"] = EmbeddedRedis(tmp / "redis").start()
    url = args.database_url or ""
    env["DATABASE_URL"] = create_database(url, "bench_inbound") if url.startswith("postgres") \
        else f"sqlite:///{tmp / 'hub.sqlite3'}"
    return env


def _probe(path: Path) -> dict:
    """The worker's cumulative counts, once they are at least 150 ms newer than now."""
    asked = time.time()
    while True:
        try:
            data = json.loads(path.read_text())
            if data["at"] > asked + 0.15:
                return data
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.05)


def _cpu(proc: psutil.Process) -> float:
    """CPU seconds (user + system) of the worker process tree."""
    return cpu_seconds([proc, *proc.children(recursive=True)])


def _postgres_cpu() -> float:
    """CPU seconds of every postgres process on the machine (other benchmarks included)."""
    return named_cpu_seconds(("postgres",))


def _database_backends_cpu(url: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend connected to the benchmark's own database.

    Unlike `_postgres_cpu`, untouched by whatever else runs on the machine's server.
    """
    if not url.startswith("postgres"):
        return {}
    import psycopg2

    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                           " AND pid <> pg_backend_pid()")
            pids = [row[0] for row in cursor.fetchall()]
    finally:
        conn.close()
    found = {}
    for pid in pids:
        try:
            t = psutil.Process(pid).cpu_times()
            found[pid] = t.user + t.system
        except psutil.Error:
            pass
    return found


def _delta(after: dict, before: dict) -> dict:
    return {k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k, 0) != before.get(k, 0)}


def _wait(predicate, timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the worker did not finish in time")
        time.sleep(0.05)


def _start_profile(proc: psutil.Process, out: Path):
    """py-spy sampling the worker process (the child that runs the jobs) until stopped."""
    target = (proc.children(recursive=True) or [proc])[-1]
    spy = Path(sys.executable).with_name("py-spy")
    return subprocess.Popen([str(spy), "record", "--pid", str(target.pid), "--rate", "250",
                             "--format", "raw", "--nonblocking", "-o", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _stop_profile(spy, out: Path, top: int = 45) -> list[str]:
    """Stop py-spy; the functions with the most samples, inclusive (share of all samples)."""
    import signal

    spy.send_signal(signal.SIGINT)
    spy.wait(timeout=60)
    inclusive: dict[str, int] = {}
    total = 0
    for line in out.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        total += int(count)
        for frame in set(stack.split(";")):
            inclusive[frame] = inclusive.get(frame, 0) + int(count)
    ranked = sorted(inclusive.items(), key=lambda kv: -kv[1])[:top]
    return [f"{100 * c / max(total, 1):5.1f}% {f}" for f, c in ranked]


def _phase(label: str, proc: psutil.Process, probe: Path, n: int, enqueue, done,
           profile: Path | None = None, database_url: str = "") -> dict:
    """Run one phase: counts, worker CPU and wall time between before and after."""
    own0 = _database_backends_cpu(database_url)
    before, cpu0, pg0, t0 = _probe(probe), _cpu(proc), _postgres_cpu(), time.monotonic()
    spy = _start_profile(proc, profile) if profile else None
    enqueue()
    _wait(lambda: done(_probe(probe)))
    wall = time.monotonic() - t0
    stacks = _stop_profile(spy, profile) if spy else None
    after, cpu1, pg1 = _probe(probe), _cpu(proc), _postgres_cpu()
    own1 = _database_backends_cpu(database_url)
    sql, rds = _delta(after["sql"], before["sql"]), _delta(after["redis"], before["redis"])
    prepared = _delta(after.get("prepared", {}), before.get("prepared", {}))
    return {
        "phase": label, "jobs_per_phase": n,
        "worker_cpu_ms_per_message": round((cpu1 - cpu0) * 1000 / n, 3),
        "sql_statements_per_message": round(sum(sql.values()) / n, 2),
        "sql_by_verb": {k: round(v / n, 2) for k, v in sorted(sql.items())},
        # PostgreSQL: statements that ran as EXECUTE of a prepared statement (per message), and
        # the PREPAREs sent in the phase (once per pooled connection and statement; not above).
        "sql_prepared_executes_per_message": round(prepared.get("EXECUTE", 0) / n, 2),
        "sql_prepares_in_phase": {k: v for k, v in prepared.items() if k != "EXECUTE"},
        "redis_commands_per_message": round(sum(rds.values()) / n, 2),
        "redis_by_command": {k: round(v / n, 2) for k, v in sorted(rds.items())},
        "redis_round_trips_per_message": round(
            (after.get("trips", {}).get("redis", 0) - before.get("trips", {}).get("redis", 0)) / n, 2),
        "jobs": _delta(after["jobs"], before["jobs"]),
        "messages_per_second_wall": round(n / wall, 1),
        "worker_cpu_share_of_one_core": round((cpu1 - cpu0) / wall, 2),
        "postgres_cpu_ms_per_message_all_backends": round((pg1 - pg0) * 1000 / n, 3),
        # Only the backends of the benchmark's database (a backend gone before the end is lost).
        **({"postgres_cpu_ms_per_message_bench_database": round(
            sum(v - own0.get(pid, 0.0) for pid, v in own1.items()) * 1000 / n, 3)}
           if database_url.startswith("postgres") else {}),
        "wall_seconds": round(wall, 2),
        **({"profile_top_inclusive": stacks} if stacks else {}),
    }


def _store_events(tenants, params) -> list[str]:
    """Raw WhatsApp text webhooks stored as the web intake stores them (status pending)."""
    from bench.realtime.webhooks import whatsapp_body
    from hub.db import transaction
    from hub.models import WebhookEvent, new_id, utcnow

    rows, n = [], len(tenants)
    for seq in range(params["messages"]):
        t = tenants[seq % n]
        body = whatsapp_body(seq, time.time(), t.phone_number_id, (seq // n) % params["contacts"])
        rows.append(dict(id=new_id(), company=t.company_id, channel=t.channel_id, kind="whatsapp",
                         dedupe_key=f"bench-{seq}", body=body.decode(), headers={},
                         status="pending", attempts=0, received_at=utcnow(), enqueued_at=utcnow()))
    with transaction():
        for i in range(0, len(rows), 500):
            WebhookEvent.insert_many(rows[i:i + 500]).execute()
    return [r["id"] for r in rows]


def run(args) -> dict:
    mode = args.mode
    params = {**MODES[mode], **{k: getattr(args, k) for k in ("threads", "messages")
                                if getattr(args, k) is not None}}
    load_before = os.getloadavg()
    print(f"bench.inbound mode={mode} " + " ".join(f"{k}={v}" for k, v in params.items())
          + f" database={'postgresql' if (args.database_url or '').startswith('postgres') else 'sqlite'}"
          + f" redis={'external' if args.redis_url else 'embedded'}", flush=True)
    print("note: worker CPU ms and statement counts are the stable figures; messages/s is wall "
          "time on a shared 2-core machine and moves with other load", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="bench-inbound-"))
    env = _environment(args, tmp)
    os.environ.update(env)
    from bench.realtime.seed import seed
    from hub import db
    from hub.jobs import enqueue
    from hub.migrations import migrate
    from hub.models import Conversation, Message, User, WebhookEvent
    from hub.settings import configure, load_settings

    configure(load_settings(env))
    db.init_db(env["DATABASE_URL"])
    migrate()
    probe = tmp / "probe.json"
    worker = None
    try:
        tenants = seed(params["companies"], params["agents"])
        with db.connection():
            User.update(status="online").where(User.role == "support").execute()
        # Creating the channels queued sync jobs (to the real provider): not this benchmark's.
        from workers.broker import broker

        broker.flush_all()
        worker = subprocess.Popen(
            [sys.executable, "-m", "dramatiq", "workers.actors", "bench.inbound.probe",
             "--processes", "1", "--threads", str(params["threads"])],
            cwd=ROOT, env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
            preexec_fn=die_with_parent, stdout=subprocess.DEVNULL,
            stderr=open(tmp / "worker.log", "ab"))
        proc = psutil.Process(worker.pid)
        _wait(lambda: probe.exists(), 60)
        n = params["messages"]

        def noop_done(p):
            return p["jobs"].get("noop|ok", 0) >= n

        # Warm-up: the first jobs import and connect (not what a long-running worker pays).
        enqueue("noop", "warm")
        _wait(lambda: _probe(probe)["jobs"].get("noop|ok", 0) >= 1)
        baseline = _phase("noop", proc, probe, n, lambda: [enqueue("noop", str(i)) for i in range(n)],
                          lambda p: p["jobs"].get("noop|ok", 0) >= n + 1,
                          database_url=env["DATABASE_URL"])
        db.open_connection()
        ids = _store_events(tenants, params)

        def inbound_done(p):
            handled = p["jobs"].get("process_webhook|ok", 0) + p["jobs"].get("process_webhook|error", 0)
            if handled < n:
                return False
            routed = p["jobs"].get("route_conversation|ok", 0) + p["jobs"].get("route_conversation|error", 0)
            return routed >= Conversation.select().count()

        inbound = _phase("inbound", proc, probe, n, lambda: [enqueue("process_webhook", i) for i in ids],
                         inbound_done, profile=tmp / "py-spy.txt" if args.profile else None,
                         database_url=env["DATABASE_URL"])
        checks = {
            "messages_stored": Message.select().count(),
            "events_processed": WebhookEvent.select().where(WebhookEvent.status == "processed").count(),
            "conversations": Conversation.select().count(),
            "conversations_assigned": Conversation.select().where(Conversation.assignee.is_null(False)).count(),
        }
        result = {
            "bench": "inbound", "mode": mode, "params": params,
            "database": "postgresql" if env["DATABASE_URL"].startswith("postgres") else "sqlite",
            "redis": "external" if args.redis_url else "embedded", "cpus": os.cpu_count(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "inbound": inbound, "baseline_noop": baseline,
            "ratio_cpu_to_noop": round(inbound["worker_cpu_ms_per_message"]
                                       / max(baseline["worker_cpu_ms_per_message"], 1e-6), 2),
            "ratio_rate_to_noop": round(inbound["messages_per_second_wall"]
                                        / baseline["messages_per_second_wall"], 3),
            "checks": checks,
        }
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
        db.close_connection()
        if env["DATABASE_URL"].startswith("postgres"):
            drop_database(env["DATABASE_URL"])
        if args.redis_url:
            forget_namespace(env["REDIS_URL"], env["HUB_REDIS_NAMESPACE"])
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    save(f"inbound-{mode}-{result['database']}", result)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = mode_parser("python -m bench.inbound", __doc__.splitlines()[0])
    parser.add_argument("--database-url", help="postgresql://... (a throwaway database is made)")
    parser.add_argument("--redis-url", help="redis://... (default: embedded Redis)")
    parser.add_argument("--threads", type=int, help="worker threads (default 8)")
    parser.add_argument("--messages", type=int, help="inbound messages (and no-op jobs)")
    parser.add_argument("--profile", action="store_true",
                        help="py-spy the worker during the inbound phase (top functions in the JSON)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (worker log)")
    run(parser.parse_args(argv))


if __name__ == "__main__":
    stop_cleanly_on_sigterm()
    main()
