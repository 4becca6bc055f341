"""Enqueueing jobs from the core without importing Dramatiq.

`workers.broker` installs the dispatcher; the core names actors by string. Jobs are enqueued
after the surrounding transaction commits. If that enqueue fails (Redis down), the error is
logged and the sweepers pick the row up later, because its state still says "to do".
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Optional, Sequence

from hub.db import on_commit

log = logging.getLogger("hub.jobs")

# The queue of routing jobs. `hub worker` serves it from a Dramatiq process of its own, at a
# lower CPU priority (hub.supervisor.role_processes): assigning a conversation never holds up
# the processing of customer messages, which is what people wait to see live.
ROUTING_QUEUE = "routing"
# Every other queue; the worker role's main Dramatiq processes serve these.
MAIN_QUEUES = ("inbound", "outbound", "media", "default", "scheduled")

Dispatcher = Callable[[str, tuple, Optional[int]], Any]
ManyDispatcher = Callable[[Sequence[tuple[str, tuple]]], Any]
_dispatcher: Optional[Dispatcher] = None
_many_dispatcher: Optional[ManyDispatcher] = None


def set_dispatcher(dispatcher: Dispatcher, many: Optional[ManyDispatcher] = None) -> None:
    global _dispatcher, _many_dispatcher
    _dispatcher, _many_dispatcher = dispatcher, many


def enqueue(actor_name: str, *args: Any, delay_ms: Optional[int] = None) -> Any:
    """Send a job now; raises if the broker is unreachable."""
    if _dispatcher is None:
        import workers.broker  # noqa: F401  (installs the dispatcher)
    assert _dispatcher is not None
    return _dispatcher(actor_name, args, delay_ms)


def enqueue_many(jobs: Sequence[tuple[str, tuple]]) -> None:
    """Send each (actor name, args) now, in one round trip where the broker can; raises if
    that fails."""
    if _dispatcher is None:
        import workers.broker  # noqa: F401  (installs the dispatcher)
    if not jobs:
        return
    if _many_dispatcher is None:
        for actor_name, args in jobs:
            enqueue(actor_name, *args)
        return
    _many_dispatcher(jobs)


def enqueue_after_commit(actor_name: str, *args: Any, delay_ms: Optional[int] = None) -> None:
    """Send a job once the current transaction has committed (now if there is none)."""

    def send() -> None:
        try:
            enqueue(actor_name, *args, delay_ms=delay_ms)
        except Exception:  # the row stays pending; a sweeper enqueues it again
            log.exception("enqueue failed actor=%s args=%s; left for the sweeper", actor_name, args)

    on_commit(send)
