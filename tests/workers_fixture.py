"""A real Dramatiq worker on the real RedisBroker, inside the test process."""
from __future__ import annotations

import pytest


@pytest.fixture
def worker():
    """Start a worker (2 threads) on the test broker; stop it after the test.

    `worker.drain()` waits until every queue is empty and every job done.
    """
    import dramatiq

    import workers.actors  # noqa: F401
    from workers.broker import broker

    for queue in broker.get_declared_queues():
        broker.flush(queue)
    w = dramatiq.Worker(broker, worker_timeout=100, worker_threads=2)
    w.start()

    def drain(timeout: float = 30) -> None:
        for queue in broker.get_declared_queues():
            broker.join(queue, timeout=int(timeout * 1000))
        w.join()

    w.drain = drain
    yield w
    w.stop()
