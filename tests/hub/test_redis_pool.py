"""The shared Redis client under a burst: more callers than pooled connections wait, not fail."""
from __future__ import annotations

import threading

from hub import redis_client
from hub.redis_client import MAX_CONNECTIONS, get_redis, key


def test_a_burst_past_the_pool_cap_waits_for_connections_instead_of_failing():
    # Given more callers at once than the pool may open connections
    callers = MAX_CONNECTIONS + 30
    client = get_redis()
    started = threading.Barrier(callers)
    errors: list[BaseException] = []
    answers: list[object] = []

    def call() -> None:
        started.wait()
        try:
            # Each holds its connection for a moment, as a slow command would.
            answers.append(client.blpop([key("test", "pool-burst", "empty")], timeout=0.3))
        except BaseException as exc:  # noqa: BLE001 - every failure is the finding
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # Then every caller was served (the last ones after a wait), none refused
    assert errors == []
    assert answers == [None] * callers
    assert len(client.connection_pool._connections) <= MAX_CONNECTIONS
    assert redis_client.POOL_WAIT_SECONDS > 0.3 * (callers // MAX_CONNECTIONS + 1)
