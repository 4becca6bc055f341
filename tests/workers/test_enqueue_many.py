"""The broker: several jobs in one Redis round trip, quick polls of the queues people wait on."""
from __future__ import annotations

import dramatiq

from hub import jobs


def test_enqueue_many_reaches_a_real_worker_like_single_sends(worker, monkeypatch):
    import workers.actors  # noqa: F401
    from workers.broker import broker

    ran: list[tuple[str, ...]] = []

    @dramatiq.actor(queue_name="default", actor_name="test_enqueue_many_probe", max_retries=0)
    def probe(*args):
        ran.append(args)

    try:
        # Given Redis forgot the broker's scripts (a restart): the pipeline must still go through
        broker.client.script_flush()
        jobs.enqueue_many([("test_enqueue_many_probe", (f"a{i}", i)) for i in range(5)])
        jobs.enqueue_many([("test_enqueue_many_probe", ("lone", 0))])
        worker.drain()
        assert sorted(ran) == sorted([(f"a{i}", i) for i in range(5)] + [("lone", 0)])
        # Nothing is left in the queue
        assert broker.do_qsize("default") == 0
    finally:
        broker.actors.pop("test_enqueue_many_probe", None)


def test_idle_consumers_of_the_inbound_and_outbound_queues_poll_quickly():
    """Dramatiq backs off to the worker timeout (1 s) on an empty queue; not on these."""
    from workers.broker import FAST_POLL_MS, broker

    for queue in ("inbound", "outbound"):
        assert broker.consume(queue, timeout=1000).timeout == FAST_POLL_MS[queue] <= 50
    assert broker.consume("scheduled", timeout=1000).timeout == 1000
