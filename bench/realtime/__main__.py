"""Realtime benchmark: agent sockets on ONE web process, signed webhooks at a steady rate.

python -m bench.realtime --quick|--full [--database-url postgresql://...] [--redis-url redis://...]
                         [--rate N] [--profile]   (py-spy stacks of web and workers: `.[bench]`)

Per company: a WhatsApp channel (created with `hub.channels`) and N support agents, each with a
`/ws` socket held by separate client processes. Webhooks go to the real signed endpoint; a real
Dramatiq worker turns them into `message.created` events, which fan out to the ~N sockets of that
company only. Reported: delay from the webhook POST to receipt on each socket (p50/p99, split
into POST -> publish and publish -> socket, and apart for the messages that open a conversation:
each company's first 30), missed and duplicate deliveries, reconnects, RSS of the web process
per socket, CPU and run-queue waits per process, and the rest of the machine's CPU (PostgreSQL,
Redis, the poster, the machine's busy share). Phases, all in one run: bare Redis pub/sub to the
same client processes at the same rate (the baseline); the same events published straight into
the hub's realtime layer (the fan-out alone, `fanout_direct`); then the webhooks end to end.
One client process also reads the hub's fan-out channel straight from Redis, which splits
publish -> socket into what Redis adds and what the web process adds.
"""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

import psutil

from bench.databases import create_database, drop_database, forget_namespace
from bench.machine import named_cpu_seconds
from bench.output import mode_parser, save, stop_cleanly_on_sigterm
from bench.realtime.report import pct, summarize
from bench.realtime.webhooks import post_steadily
from hub.supervisor import child_setup, role_processes

ROOT = Path(__file__).resolve().parents[2]
MODES = {"quick": dict(companies=10, agents=20, rate=50, seconds=10, clients=2),
         "full": dict(companies=100, agents=20, rate=200, seconds=30, clients=4)}


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup(args, data_dir: Path) -> dict:
    """Environment for every child process; a migrated database."""
    database_url = args.database_url or f"sqlite:///{data_dir / 'hub.sqlite3'}"
    if database_url.startswith("postgres"):
        database_url = create_database(database_url, "bench_rt")
    env = dict(os.environ, HUB_DATA_DIR=str(data_dir), SECRET_KEY=secrets.token_hex(32),
               HUB_REDIS_NAMESPACE=f"bench{secrets.token_hex(3)}", HUB_LOG_LEVEL="WARNING",
               DATABASE_URL=database_url,
               PYTHONPATH=str(ROOT))
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
    else:
        from hub.embedded_redis import EmbeddedRedis
        env["REDIS_URL"] = EmbeddedRedis(data_dir / "redis").start()
    os.environ.update(env)
    from hub import db
    from hub.migrations import migrate
    from hub.settings import configure, load_settings

    configure(load_settings(env))
    db.init_db(env["DATABASE_URL"])
    migrate()
    return env


def start(cmd: list[str], env: dict, log: Path, nice: int = 0) -> subprocess.Popen:
    return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=open(log, "ab"), preexec_fn=child_setup(nice))


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, 9)


def web_worker(server: subprocess.Popen, port: int) -> psutil.Process:
    """The single gunicorn worker process, once it answers."""
    import requests

    for _ in range(300):
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return psutil.Process(server.pid).children()[0]
        except (requests.RequestException, IndexError):
            time.sleep(0.2)
    raise RuntimeError("the web process did not start")


def start_clients(tenants, port: int, env: dict, count: int, data_dir: Path, channel: str):
    """`count` client processes, the sockets dealt round-robin; waits until all are ready."""
    sockets = [(c, token) for c, t in enumerate(tenants) for token in t.tokens]
    clients = []
    for n in range(count):
        spec = {"port": port, "redis_url": env["REDIS_URL"], "baseline_channel": channel,
                "live_channel": f"{env['HUB_REDIS_NAMESPACE']}:rt:live",
                # One process reading the whole fan-out channel is enough to time Redis's part.
                "tap": n == 0,
                "sockets": [(i, tok) for i, (_, tok) in enumerate(sockets) if i % count == n],
                "output": str(data_dir / f"client-{n}.json")}
        path = data_dir / f"client-{n}-spec.json"
        path.write_text(json.dumps(spec))
        clients.append(subprocess.Popen([sys.executable, "-m", "bench.realtime.clients",
                                         str(path)], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True))
    for proc in clients:
        line = proc.stdout.readline()
        if not line.startswith("connected"):
            raise RuntimeError(f"a client process failed: {line!r}")
    owners = [c for c, _ in sockets]  # socket index -> company index
    return clients, owners


def publish_baseline(channel: str, rate: float, seconds: float) -> int:
    """The bare transport: `seq sent_at` on a plain Redis channel, on the same schedule."""
    from hub.redis_client import get_redis

    client, total = get_redis(), int(rate * seconds)
    start = time.time()
    for seq in range(total):
        time.sleep(max(0.0, start + seq / rate - time.time()))
        client.publish(channel, f"{seq} {time.time():.6f}")
    return total


def runqueue_ns(proc: psutil.Process) -> int:
    """Nanoseconds the threads of `proc` spent runnable but waiting for a core (schedstat)."""
    total = 0
    for task in Path(f"/proc/{proc.pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            pass  # a thread that ended meanwhile
    return total


def publish_direct(tenants, rate: float, seconds: float) -> int:
    """Hub events published straight into the realtime layer at `rate`, round the companies.

    The same `message.created` events a worker publishes, without the webhook and the job
    before them: what the web process's fan-out alone does at the target rate.
    """
    from hub.realtime import publish

    total = int(rate * seconds)
    start = time.time()
    for seq in range(total):
        time.sleep(max(0.0, start + seq / rate - time.time()))
        publish(tenants[seq % len(tenants)].company_id, "message.created",
                {"content": f"direct {seq}", "senderType": "customer"})
    return total


def cpu_during(procs: list[psutil.Process], action, others: Optional[dict] = None):
    """Run `action`; the CPU %% each process used meanwhile, and how long it waited for a core.

    A process whose CPU %% is low can still be late: on a crowded machine it waits runnable in
    the kernel's run queue, which only schedstat shows (milliseconds per second of the phase).
    `others`, if given, receives the rest of the machine's bill for the phase: PostgreSQL's
    processes, Redis, this bench process (the webhook poster), and the whole machine's busy
    share of its cores.
    """
    for p in procs:
        p.cpu_percent()
    waits = [runqueue_ns(p) for p in procs]
    me = psutil.Process()
    groups0 = {name: named_cpu_seconds(names) for name, names in OTHER_GROUPS.items()}
    mine0, machine0 = sum(me.cpu_times()[:2]), psutil.cpu_times()
    started = time.time()
    result = action()
    elapsed = time.time() - started
    cpu = [round(p.cpu_percent(), 1) for p in procs]
    waited = [round((runqueue_ns(p) - w) / 1e6 / elapsed, 1) for p, w in zip(procs, waits)]
    if others is not None:
        machine1 = psutil.cpu_times()
        idle = (machine1.idle + machine1.iowait) - (machine0.idle + machine0.iowait)
        others.update({name: round((named_cpu_seconds(names) - groups0[name]) / elapsed * 100, 1)
                       for name, names in OTHER_GROUPS.items()})
        others["bench_poster"] = round((sum(me.cpu_times()[:2]) - mine0) / elapsed * 100, 1)
        others["machine_busy_percent_of_all_cores"] = round(
            100 - idle / elapsed / psutil.cpu_count() * 100, 1)
    return result, (cpu, waited)


# Processes outside the hub's web and worker whose CPU a phase also costs.
OTHER_GROUPS = {"postgres": ("postgres",), "redis": ("redis-server",)}


def messages_stored() -> int:
    from hub import db
    from hub.models import Message

    with db.connection():
        return Message.select().count()


def routing_delays(tenants, wait_s: float = 60) -> dict:
    """How long after its first webhook's POST each conversation got its agent.

    Routing runs at a lower CPU priority than messages (hub.supervisor.role_processes): this is
    what that costs. Waits (up to `wait_s`) for the conversations still unassigned, then reads
    each one's assignment notification against the `sent` time its first message carries.
    """
    from datetime import timezone

    from hub import db
    from hub.models import Conversation, Message, Notification

    companies = [t.company_id for t in tenants]
    with db.connection():
        def unassigned() -> int:
            return Conversation.select().where(Conversation.company.in_(companies)
                                               & Conversation.assignee.is_null()).count()
        started = time.time()
        while unassigned() and time.time() - started < wait_s:
            time.sleep(0.5)
        first_post: dict[str, float] = {}
        for conversation_id, content in (Message.select(Message.conversation, Message.content)
                                         .where(Message.company.in_(companies)).tuples()):
            if content.startswith("bench "):
                sent = float(content.split()[2])
                first_post[conversation_id] = min(sent, first_post.get(conversation_id, sent))
        delays = []
        for link, created in (Notification.select(Notification.link, Notification.created_at)
                              .where(Notification.company.in_(companies)).tuples()):
            conversation_id = (link or "").rsplit("/", 1)[-1]
            if conversation_id in first_post:
                assigned = created.replace(tzinfo=timezone.utc).timestamp()
                delays.append(assigned - first_post[conversation_id])
        left = unassigned()
    return {"conversations": len(first_post), "assigned": len(delays), "unassigned": left,
            "post_to_assigned_p50_ms": pct(delays, 50), "post_to_assigned_p99_ms": pct(delays, 99),
            "post_to_assigned_max_ms": pct(delays, 100)}


def profile(pid: int, seconds: float, out: Path) -> subprocess.Popen:
    """py-spy on one process during the webhook phase (raw collapsed stacks)."""
    return subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(pid), "--duration", str(int(seconds)),
                             "--rate", "100", "--nonblocking", "--format", "raw", "-o", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    parser = mode_parser("python -m bench.realtime")
    parser.add_argument("--database-url", default=None,
                        help="default: embedded SQLite; a PostgreSQL URL gets a fresh database")
    parser.add_argument("--redis-url", default=None, help="default: embedded Redis")
    parser.add_argument("--rate", type=float, default=None,
                        help="events per second instead of the mode's (the full mode's 200/s "
                             "is the target; a lower rate shows the latency of an unsaturated "
                             "machine); results go to realtime-<mode>-<rate>.json")
    parser.add_argument("--profile", action="store_true",
                        help="py-spy the web process and the worker processes")
    args = parser.parse_args()
    mode = args.mode
    p = dict(MODES[mode])
    if args.rate:
        p["rate"] = args.rate
    data_dir = Path(tempfile.mkdtemp(prefix="bench-rt-"))
    env = setup(args, data_dir)
    backend = "postgresql" if (args.database_url or "").startswith("postgres") else "sqlite"
    from bench.realtime.seed import seed

    tenants = seed(p["companies"], p["agents"])
    print(f"bench.realtime mode={mode} backend={backend} sockets={p['companies'] * p['agents']} "
          f"params={p} web=1 gunicorn gevent process, worker=`hub worker`'s processes",
          flush=True)
    port = free_port()
    server = start([sys.executable, "-m", "gunicorn", "--worker-class", "gevent", "--workers", "1",
                    "--worker-connections", "5000", "--bind", f"127.0.0.1:{port}",
                    "--timeout", "60", "web.wsgi:app"], env, data_dir / "web.log")
    # The worker role as `hub worker` runs it: the main Dramatiq process, and the routing one
    # at its lower CPU priority.
    from hub.settings import get_settings

    role = role_processes("worker", get_settings())
    worker_roles = [start(r.command, env, data_dir / f"{r.name}.log", r.nice) for r in role]
    clients = []
    try:
        web = web_worker(server, port)
        rss_idle = web.memory_info().rss
        channel = f"bench-baseline-{secrets.token_hex(4)}"
        t0 = time.time()
        clients, owners = start_clients(tenants, port, env, p["clients"], data_dir, channel)
        print(f"{len(owners)} sockets ready in {time.time() - t0:.1f}s", flush=True)
        time.sleep(5)  # presence events of the opening settle
        rss_sockets = web.memory_info().rss
        client_procs = [psutil.Process(c.pid) for c in clients]
        workers = [child for proc in worker_roles
                   for child in psutil.Process(proc.pid).children(recursive=True)]
        watched = [web] + client_procs + workers
        others: dict[str, dict] = {"baseline_phase": {}, "fanout_direct": {},
                                   "webhook_phase": {}}
        _, base_cpu = cpu_during(watched, lambda: publish_baseline(channel, p["rate"],
                                                                   p["seconds"]),
                                 others["baseline_phase"])
        time.sleep(1)
        direct, direct_cpu = cpu_during(watched, lambda: publish_direct(tenants, p["rate"],
                                                                        p["seconds"]),
                                        others["fanout_direct"])
        time.sleep(2)
        before = messages_stored()
        spies = [profile(proc.pid, p["seconds"], data_dir / f"{name}-profile.txt")
                 for name, proc in [("web", web)] + [(f"worker{i}", w) for i, w in
                                                     enumerate(workers)]] if args.profile else []
        targets = [(t.channel_id, t.phone_number_id) for t in tenants]
        posted, hook_cpu = cpu_during(watched, lambda: post_steadily(port, targets, p["rate"],
                                                                     p["seconds"]),
                                      others["webhook_phase"])
        # The worker may be far behind the posts: wait for the backlog (while it still moves),
        # then let the last events reach the sockets, so `expected` counts what was stored.
        last, idle_since = -1, time.time()
        while messages_stored() - before < posted["posted"] and time.time() - idle_since < 30:
            now = messages_stored()
            if now != last:
                last, idle_since = now, time.time()
            time.sleep(0.5)
        time.sleep(3)
        stored = messages_stored() - before
        routing = routing_delays(tenants)
        rss_end = web.memory_info().rss
        for spy in spies:
            spy.wait(timeout=60)
        outputs = []
        for proc in clients:
            proc.stdin.write("stop\n")
            proc.stdin.flush()
            proc.stdout.readline()
        for n in range(len(clients)):
            outputs.append(json.loads((data_dir / f"client-{n}.json").read_text()))
    finally:
        for proc in clients:
            proc.kill()
        stop(server)
        for proc in worker_roles:
            stop(proc)
        if backend == "postgresql":
            drop_database(env["DATABASE_URL"])
        if args.redis_url:
            forget_namespace(args.redis_url, env["HUB_REDIS_NAMESPACE"])
    result = summarize(mode, backend, p, owners, posted, stored, outputs,
                       rss=(rss_idle, rss_sockets, rss_end), cpu=(base_cpu, hook_cpu),
                       direct=(direct, direct_cpu))
    result["cpu_percent_rest_of_machine"] = others
    result["routing"] = routing
    if args.profile:
        result["profiles"] = sorted(str(f) for f in data_dir.glob("*-profile.txt"))
    suffix = f"-{args.rate:g}" if args.rate else ""
    save(f"realtime-{mode}{suffix}", result)


if __name__ == "__main__":
    stop_cleanly_on_sigterm()
    main()
