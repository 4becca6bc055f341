"""Many idle agent sockets on one gevent web process; events at a steady rate; delay and memory.

Events are published with `hub.realtime.publish` from this (separate) process, as a worker
would: this branch has no webhook endpoint yet (the inbound lane builds it). Baseline in the
same run: the same events through a bare Redis pub/sub subscriber (the transport ceiling).
"""
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import secrets  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
import psutil  # noqa: E402
import requests  # noqa: E402
import websocket  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MODES = {"quick": dict(companies=10, agents=20, rate=50, seconds=10),
         "full": dict(companies=100, agents=20, rate=200, seconds=30)}


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))] * 1000 if values else None


def setup_env(tmp: Path) -> dict:
    env = dict(os.environ)
    env.update(HUB_DATA_DIR=str(tmp), SECRET_KEY=secrets.token_hex(24),
               HUB_REDIS_NAMESPACE="bench" + secrets.token_hex(3), HUB_LOG_LEVEL="WARNING",
               PYTHONPATH=str(ROOT))
    if not env.get("REDIS_URL"):
        from hub.embedded_redis import EmbeddedRedis

        env["REDIS_URL"] = EmbeddedRedis(tmp / "redis").start()
    return env


def seed(companies: int, agents: int) -> list[tuple[str, str]]:
    """(company_id, token) per agent, inserted in bulk."""
    from hub import db
    from hub.auth import hash_password, issue_access_token
    from hub.migrations import migrate
    from hub.models import Company, User, new_id

    db.init_db(__import__("hub.settings", fromlist=["x"]).get_settings().resolved_database_url)
    migrate()
    pw = hash_password("bench")
    out = []
    with db.db.connection_context():
        for c in range(companies):
            company = Company.create(name=f"Bench {c}", settings={})
            rows = [dict(id=new_id(), company=company.id, email=f"a{c}-{a}-{secrets.token_hex(3)}@b.test",
                         name=f"Agent {a}", password_hash=pw, role="support", settings={})
                    for a in range(agents)]
            User.insert_many(rows).execute()
            for row in rows:
                out.append((company.id, issue_access_token(User.get_by_id(row["id"]))))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--full", action="store_true")
    mode = "full" if parser.parse_args().full else "quick"
    p = MODES[mode]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    tmp = Path(tempfile.mkdtemp(prefix="bench-rt-"))
    env = setup_env(tmp)
    os.environ.update(env)
    from hub.settings import configure, load_settings

    configure(load_settings(env))
    agents = seed(p["companies"], p["agents"])
    sockets_n = len(agents)
    print(f"mode={mode} sockets={sockets_n} companies={p['companies']} agents/company={p['agents']} "
          f"rate={p['rate']}/s seconds={p['seconds']} publisher=hub.realtime.publish (separate process)")
    port = 5600 + secrets.randbelow(300)
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--worker-class", "gevent", "-w", "1",
                               "--worker-connections", "5000", "-b", f"127.0.0.1:{port}", "web.wsgi:app"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        run(p, agents, port, server, mode)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def run(p, agents, port, server, mode) -> None:
    from hub.realtime import fanout_channel, publish
    from hub.redis_client import get_redis

    for _ in range(100):
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            break
        except requests.RequestException:
            time.sleep(0.2)
    worker = psutil.Process(server.pid).children()[0]
    rss_before = worker.memory_info().rss
    delays, received = [], [0]

    def listen(token):
        ws = websocket.create_connection(f"ws://127.0.0.1:{port}/ws?token={token}&lastEventId=0",
                                         timeout=120)
        while True:
            frame = json.loads(ws.recv())
            if frame.get("type") == "message.created":
                delays.append(time.time() - frame["data"]["sentAt"])
                received[0] += 1

    ready = [gevent.spawn(listen, token) for _, token in agents]
    gevent.sleep(3 + len(agents) / 200)
    rss_after = worker.memory_info().rss
    per_socket = (rss_after - rss_before) / len(agents)
    companies = sorted({c for c, _ in agents})

    def publish_steady(send):
        total = p["rate"] * p["seconds"]
        start = time.time()
        for i in range(total):
            target = start + i / p["rate"]
            gevent.sleep(max(0, target - time.time()))
            send(companies[i % len(companies)], i)
        return total

    # Baseline: a bare subscriber on the same Redis channel, the same events.
    base_delays = []
    pubsub = get_redis().pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(fanout_channel() + ":bench")

    def base_listen():
        for m in pubsub.listen():
            base_delays.append(time.time() - json.loads(m["data"])["sentAt"])

    g = gevent.spawn(base_listen)
    publish_steady(lambda c, i: get_redis().publish(fanout_channel() + ":bench",
                                                    json.dumps({"sentAt": time.time(), "i": i})))
    gevent.sleep(1)
    g.kill()
    total = publish_steady(lambda c, i: publish(c, "message.created",
                                                {"sentAt": time.time(), "content": "x" * 500},
                                                conversation_id=None))
    gevent.sleep(3)
    expected = total * p["agents"]
    result = {
        "mode": mode, "sockets": len(agents), "rate": p["rate"], "seconds": p["seconds"],
        "publisher": "hub.realtime.publish from a separate process (no webhook endpoint in branch)",
        "deliveries": received[0], "expected": expected,
        "p50_ms": pct(delays, 50), "p99_ms": pct(delays, 99),
        "baseline_pubsub_p50_ms": pct(base_delays, 50), "baseline_pubsub_p99_ms": pct(base_delays, 99),
        "rss_before_mb": rss_before / 2**20, "rss_after_mb": rss_after / 2**20,
        "rss_per_socket_kb": per_socket / 1024,
    }
    if result["p99_ms"] and result["baseline_pubsub_p99_ms"]:
        result["p99_ratio"] = result["p99_ms"] / result["baseline_pubsub_p99_ms"]
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "results" / f"realtime-{mode}.json"
    out.write_text(json.dumps(result, indent=2))
    for r in ready:
        r.kill()


if __name__ == "__main__":
    main()
