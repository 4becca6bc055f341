"""Real worker processes: one killed mid-send, two sharing the provider's rate limits.

What the hub guarantees when a worker dies during a send: the delivery stays `sending` until
the sweeper finds it older than `delivery_stuck_seconds`, puts it back to `retrying` and a
worker sends it again. If the provider had not accepted the first request, the contact gets
the message exactly once. If it had (the answer was lost with the worker), the contact gets
it twice: delivery is at-least-once, and the hub still stores one message, `sent`, once.
"""
from __future__ import annotations

import time

from hub import db as hubdb
from hub.jobs import enqueue
from hub.models import DeliveryAttempt
from tests.outbound.conftest import faults


def _wait(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _kill_during_send(box, emulator, spawn_worker, rule):
    faults(emulator, rule)
    first = spawn_worker()
    message = box.send("sent while the worker dies")
    _wait(lambda: len(emulator.state.received) >= 1)  # the request is at the provider
    spawn_worker.kill(first)
    assert box.delivery(message.id).status == "sending"  # nobody will finish this attempt
    # a new worker and the sweeper (stuck threshold 0 s for the test) finish the job
    spawn_worker()
    enqueue("sweep_deliveries", 0)
    assert box.wait_for(message.id, ("sent", "failed"), timeout=40).status == "sent"
    with hubdb.db.connection_context():
        outcomes = [a.outcome for a in DeliveryAttempt.select().order_by(DeliveryAttempt.number)]
    assert outcomes == ["interrupted", "sent"]
    assert box.message(message.id).status == "sent"
    return message


def test_worker_killed_before_the_provider_accepted_delivers_once(make_outbox, emulator,
                                                                  spawn_worker):
    # the provider holds the request and then refuses it (a timeout): nothing accepted
    box = make_outbox("whatsapp", httpTimeout=20)
    _kill_during_send(box, emulator, spawn_worker,
                      {"type": "timeout", "timeoutMs": 3000, "next": 1})
    time.sleep(3.2)  # let the held request end: it must not count as delivered
    assert len(emulator.state.delivered()) == 1 and emulator.state.duplicates() == 0


def test_worker_killed_after_the_provider_accepted_is_at_least_once(make_outbox, emulator,
                                                                    spawn_worker):
    # the provider accepts after a delay, but the worker is dead before it reads the answer
    box = make_outbox("whatsapp", httpTimeout=20)
    _kill_during_send(box, emulator, spawn_worker,
                      {"type": "latency", "latencyMs": 2000, "next": 1})
    _wait(lambda: len(emulator.state.delivered()) == 2)
    assert emulator.state.duplicates() == 1  # the documented at-least-once case


def test_two_worker_processes_keep_one_telegram_chat_at_one_per_second(make_outbox, emulator,
                                                                       spawn_worker):
    box = make_outbox("telegram")
    spawn_worker(threads=4)
    spawn_worker(threads=4)
    ids = [box.send(f"message {n}").id for n in range(5)]
    for message_id in ids:
        assert box.wait_for(message_id, ("sent", "failed"), timeout=60).status == "sent"
    arrivals = sorted(r["time"] for r in emulator.state.received_by("telegram"))
    assert len(arrivals) == 5 and emulator.state.duplicates() == 0
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
    assert min(gaps) >= 1.0, gaps
    with hubdb.db.connection_context():
        # waiting for the limit used no retries: one attempt per message
        assert DeliveryAttempt.select().count() == 5
