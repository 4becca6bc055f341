"""Enqueueing jobs from the core without importing Dramatiq.

`workers.broker` installs the dispatcher; the core names actors by string. Jobs are enqueued
after the surrounding transaction commits. If that enqueue fails (Redis down), the error is
logged and the sweepers pick the row up later, because its state still says "to do".
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Optional

from hub.db import on_commit

log = logging.getLogger("hub.jobs")

Dispatcher = Callable[[str, tuple, Optional[int]], Any]
_dispatcher: Optional[Dispatcher] = None


def set_dispatcher(dispatcher: Dispatcher) -> None:
    global _dispatcher
    _dispatcher = dispatcher


def enqueue(actor_name: str, *args: Any, delay_ms: Optional[int] = None) -> Any:
    """Send a job now; raises if the broker is unreachable."""
    if _dispatcher is None:
        import workers.broker  # noqa: F401  (installs the dispatcher)
    assert _dispatcher is not None
    return _dispatcher(actor_name, args, delay_ms)


def enqueue_after_commit(actor_name: str, *args: Any, delay_ms: Optional[int] = None) -> None:
    """Send a job once the current transaction has committed (now if there is none)."""

    def send() -> None:
        try:
            enqueue(actor_name, *args, delay_ms=delay_ms)
        except Exception:  # the row stays pending; a sweeper enqueues it again
            log.exception("enqueue failed actor=%s args=%s; left for the sweeper", actor_name, args)

    on_commit(send)
