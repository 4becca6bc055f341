"""The bench's figures from what the client processes recorded."""
from __future__ import annotations

from typing import Any, Optional

from bench.realtime.webhooks import CONTACTS


def pct(values: list[float], p: float) -> Optional[float]:
    """The p-th percentile in milliseconds (None for no values)."""
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(len(values) * p / 100))] * 1000, 1)


def _per_process(values: list[float], clients: int) -> dict[str, Any]:
    """[web, client..., worker...] as named groups (the workers: the main Dramatiq process's,
    then the routing one's)."""
    return {"web": values[0], "clients": values[1:1 + clients], "workers": values[1 + clients:]}


def _direct(direct: tuple, outputs: list[dict], owners: list[int], companies: int,
            agents: int) -> dict[str, Any]:
    """The fan-out phase alone: events published at the target rate straight to Redis."""
    total, (cpu, waited) = direct
    seen: set[tuple[int, int]] = set()
    delays, duplicates, wrong = [], 0, 0
    for out in outputs:
        for seq, socket_index, received, ts in out.get("direct", []):
            if (seq, socket_index) in seen:
                duplicates += 1
                continue
            seen.add((seq, socket_index))
            wrong += owners[socket_index] != seq % companies
            delays.append(received - ts)
    return {"published": total, "expected": total * agents, "received": len(seen),
            "missed": total * agents - len(seen), "duplicates": duplicates,
            "wrong_company": wrong, "p50_ms": pct(delays, 50), "p99_ms": pct(delays, 99),
            "max_ms": pct(delays, 100),
            "cpu_percent": _per_process(cpu, len(outputs)),
            "runqueue_wait_ms_per_s": _per_process(waited, len(outputs)),
            "target_p99_250ms_met": bool(delays) and pct(delays, 99) < 250
            and len(seen) == total * agents}


def summarize(mode: str, backend: str, params: dict, owners: list[int], posted: dict,
              stored: int, outputs: list[dict], rss: tuple, cpu: tuple,
              direct: tuple) -> dict[str, Any]:
    agents = params["agents"]
    companies = params["companies"]
    seen: set[tuple[int, int]] = set()
    duplicates = wrong_company = 0
    end_to_end, fanout, pipeline = [], [], {}
    # Message `seq` comes from contact (seq // companies) % CONTACTS of its company: the first
    # companies * CONTACTS messages each open a conversation (a contact, a conversation, a
    # routing job and two more events), the rest join one. Reported apart as well.
    opening = companies * CONTACTS
    by_kind: dict[str, list[float]] = {"opens_conversation": [], "joins_open_conversation": []}
    for out in outputs:
        for seq, socket_index, received, sent, ts in out["records"]:
            if (seq, socket_index) in seen:
                duplicates += 1
                continue
            seen.add((seq, socket_index))
            if owners[socket_index] != seq % companies:
                wrong_company += 1
            end_to_end.append(received - sent)
            by_kind["opens_conversation" if seq < opening
                    else "joins_open_conversation"].append(received - sent)
            fanout.append(received - ts)
            pipeline[seq] = ts - sent
    # Every stored message fans out to its company's agents (a POST that timed out on the
    # client may still have been stored, so count what was stored, not the 200s).
    expected = stored * agents
    baseline = [received - sent for out in outputs for _, received, sent in out["baseline"]]
    tapped = [received - ts for out in outputs for _, received, ts in out.get("tapped", [])]
    base_expected = int(params["rate"] * params["seconds"]) * len(outputs)
    rss_idle, rss_sockets, rss_end = rss
    sockets = len(owners)
    result = {
        "mode": mode, "backend": backend, "params": params, "sockets": sockets,
        "webhooks": {"posted": posted["posted"], "statuses": {str(k): v for k, v in
                                                              posted["statuses"].items()},
                     "post_p50_ms": pct(posted["latencies"], 50),
                     "post_p99_ms": pct(posted["latencies"], 99),
                     "schedule_lag_p99_ms": pct(posted["lags"], 99),
                     "achieved_rate": round(posted["posted"] / posted["seconds"], 1),
                     "messages_stored": stored},
        "deliveries": {"expected": expected, "received": len(seen), "missed": expected - len(seen),
                       "duplicates": duplicates, "wrong_company": wrong_company},
        "delay_post_to_socket": {"p50_ms": pct(end_to_end, 50), "p99_ms": pct(end_to_end, 99),
                                 "max_ms": pct(end_to_end, 100)},
        "delay_post_to_socket_by_message": {
            kind: {"deliveries": len(values), "p50_ms": pct(values, 50),
                   "p99_ms": pct(values, 99)} for kind, values in by_kind.items()},
        "delay_post_to_publish": {"p50_ms": pct(list(pipeline.values()), 50),
                                  "p99_ms": pct(list(pipeline.values()), 99)},
        "delay_publish_to_socket": {"p50_ms": pct(fanout, 50), "p99_ms": pct(fanout, 99)},
        # The same events read straight from Redis by the client processes: what is left of
        # publish -> socket beyond this is the web process's fan-out.
        "delay_publish_to_redis_subscriber": {"p50_ms": pct(tapped, 50), "p99_ms": pct(tapped, 99)},
        "baseline_redis_pubsub": {"expected": base_expected, "received": len(baseline),
                                  "p50_ms": pct(baseline, 50), "p99_ms": pct(baseline, 99)},
        "sockets_reconnected": sum(o["connects"] for o in outputs) - sockets,
        "connect_failures": sum(o["failures"] for o in outputs),
        "reloads": sum(o["reloads"] for o in outputs),
        "web_rss_mb": {"idle": round(rss_idle / 2**20, 1), "sockets_open": round(rss_sockets / 2**20, 1),
                       "end": round(rss_end / 2**20, 1)},
        "web_rss_per_socket_kb": round((rss_sockets - rss_idle) / sockets / 1024, 1),
        # Per phase: web, clients, worker processes; `runqueue_wait_ms_per_s` is how long each
        # waited runnable for a core, per second: CPU starvation that CPU %% does not show.
        **{key: {phase: _per_process(values, len(outputs)) for phase, values in
                 (("baseline_phase", cpu[0][i]), ("webhook_phase", cpu[1][i]))}
           for i, key in enumerate(("cpu_percent", "runqueue_wait_ms_per_s"))},
    }
    result["fanout_direct"] = _direct(direct, outputs, owners, companies, agents)
    p99, base = result["delay_publish_to_socket"]["p99_ms"], result["baseline_redis_pubsub"]["p99_ms"]
    if p99 and base:
        result["fanout_p99_ratio_to_baseline"] = round(p99 / base, 2)
    result["target_p99_250ms_met"] = bool(result["delay_post_to_socket"]["p99_ms"] is not None
                                          and result["delay_post_to_socket"]["p99_ms"] < 250
                                          and result["deliveries"]["missed"] == 0)
    return result
