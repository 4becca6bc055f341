"""Signed, unique, realistic WhatsApp bodies and a multi-process load generator."""
from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import multiprocessing
import random
import threading
import time
from typing import Any

WORDS = ("order delivery refund hello thanks when where package tracking number invoice "
         "please help address change size colour return exchange payment card").split()


def body(n: int, rng: random.Random) -> tuple[bytes, int]:
    """A 1-3 KB WhatsApp messages webhook (every 5th batches three messages); (raw, messages)."""
    count = 3 if n % 5 == 0 else 1
    messages, contacts = [], []
    for i in range(count):
        phone = f"1555{rng.randrange(10**7):07d}"
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(60, 200)))[:1800]
        messages.append({"from": phone, "id": f"wamid.BENCH{n:09d}x{i}{rng.getrandbits(40):x}",
                         "timestamp": str(1718031600 + n), "type": "text", "text": {"body": text}})
        contacts.append({"profile": {"name": f"Customer {phone[-4:]}"}, "wa_id": phone})
    raw = json.dumps({"object": "whatsapp_business_account", "entry": [{
        "id": "102290129340398", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550001111", "phone_number_id": "106540352242922"},
            "contacts": contacts, "messages": messages}}]}]}).encode()
    return raw, count


def _sender(port: int, path: str, secret: str, start: int, count: int, threads: int,
            queue: Any, ready: Any, go: Any) -> None:
    rng = random.Random(start)
    bodies = [body(start + i, rng) for i in range(count)]
    signed = [(raw, n, "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest())
              for raw, n in bodies]
    ready.put(1)
    go.wait()  # every sender prepared its bodies: the clock measures only the sending
    results: list[tuple[float, int, int, str]] = []
    lock = threading.Lock()
    cursor = iter(range(count))

    def run() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                index = next(cursor, None)
            if index is None:
                break
            raw, n, signature = signed[index]
            t0 = time.perf_counter()
            conn.request("POST", path, raw, {"Content-Type": "application/json",
                                             "X-Hub-Signature-256": signature})
            response = conn.getresponse()
            answer = response.read()
            elapsed = time.perf_counter() - t0
            event_id = ""
            if response.status == 200 and answer.startswith(b"{"):
                event_id = json.loads(answer).get("eventId", "")
            with lock:
                results.append((elapsed, response.status, n, event_id))
        conn.close()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    [w.start() for w in workers]
    [w.join() for w in workers]
    queue.put(results)


def blast(port: int, path: str, secret: str, requests_total: int, concurrency: int,
          processes: int, offset: int) -> dict[str, Any]:
    """Send `requests_total` unique signed bodies with `concurrency` senders; the figures."""
    ctx = multiprocessing.get_context("fork")
    queue, ready, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    per = requests_total // processes
    procs = [ctx.Process(target=_sender, args=(port, path, secret, offset + p * per, per,
                                               concurrency // processes, queue, ready, go))
             for p in range(processes)]
    [p.start() for p in procs]
    [ready.get() for _ in procs]
    t0 = time.perf_counter()
    go.set()
    results = [r for _ in procs for r in queue.get()]
    [p.join() for p in procs]
    wall = time.perf_counter() - t0
    ok = [r for r in results if r[1] == 200]
    statuses: dict[str, int] = {}
    for r in results:
        statuses[str(r[1])] = statuses.get(str(r[1]), 0) + 1
    return {"requests": len(results), "ok": len(ok), "statuses": statuses,
            "seconds": round(wall, 3),
            "rps": round(len(results) / wall, 1), **percentiles([r[0] for r in results]),
            "latencies": [r[0] for r in results],
            "acked_event_ids": [r[3] for r in ok if r[3]],
            "acked_messages": sum(r[2] for r in ok)}


def percentiles(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {"p50_ms": round(ordered[len(ordered) // 2] * 1000, 2),
            "p99_ms": round(ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000, 2)}


def summarize(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Rounds of one server as one figure: total requests over total time, pooled latencies."""
    latencies = [x for r in rounds for x in r.pop("latencies")]
    requests, seconds = sum(r["requests"] for r in rounds), sum(r["seconds"] for r in rounds)
    statuses: dict[str, int] = {}
    for r in rounds:
        for code, count in r["statuses"].items():
            statuses[code] = statuses.get(code, 0) + count
    return {"requests": requests, "ok": sum(r["ok"] for r in rounds), "statuses": statuses,
            "seconds": round(seconds, 3), "rps": round(requests / seconds, 1),
            **percentiles(latencies), "rounds": rounds}
