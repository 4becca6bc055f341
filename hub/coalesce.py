"""Group commit: concurrent callers share one round trip instead of making one each.

Under load a web process holds dozens of webhook requests at once (greenlets under gevent,
threads elsewhere), and each used to make its own database round trips and its own Redis
enqueue. A `Coalescer` lets them queue their items; whoever takes the turn next runs one batch
for everything queued so far, and the others find their results waiting. It is the group commit
of databases: an item's batch always starts after the item was submitted, so a caller sees the
same outcome it would have seen doing the work alone at that moment, and nothing is answered
before its batch has finished. With one caller at a time a batch is that caller's single item
and nothing waits.
"""
from __future__ import annotations

import os
import threading
from typing import Callable, Generic, Optional, Sequence, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

# Items in one batch at the most: bounds the statement size and one batch's latency.
MAX_BATCH = 128


class _Ticket(Generic[Item, Result]):
    __slots__ = ("item", "done", "result", "error")

    def __init__(self, item: Item) -> None:
        self.item = item
        self.done = False
        self.result: Optional[Result] = None
        self.error: Optional[BaseException] = None


class Coalescer(Generic[Item, Result]):
    """Runs `run_batch(items) -> results` (one result per item, in order) for queued items.

    `run_batch` may return an exception instance in place of a result: that item's caller gets
    it raised, the other items of the batch are unaffected. If `run_batch` itself raises,
    every caller of that batch gets the error.
    """

    def __init__(self, run_batch: Callable[[Sequence[Item]], Sequence[object]],
                 max_batch: int = MAX_BATCH) -> None:
        self._run_batch = run_batch
        self._max_batch = max_batch
        self._pid = -1
        self._reset()

    def _reset(self) -> None:
        # Locks are made per process (gunicorn and Dramatiq fork after import) and after gevent
        # patched `threading`, so waiting on them yields to other greenlets.
        self._pid = os.getpid()
        self._queue: list[_Ticket] = []
        self._queue_lock = threading.Lock()
        self._turn = threading.Lock()

    def submit(self, item: Item) -> Result:
        """Queue `item`, wait for the batch that carries it, return its result (or raise)."""
        if self._pid != os.getpid():
            self._reset()
        ticket: _Ticket = _Ticket(item)
        with self._queue_lock:
            self._queue.append(ticket)
        while not ticket.done:
            with self._turn:
                if ticket.done:  # the batch before this turn carried it
                    break
                with self._queue_lock:
                    batch = self._queue[:self._max_batch]
                    del self._queue[:self._max_batch]
                self._run(batch)
        if ticket.error is not None:
            raise ticket.error
        return ticket.result  # type: ignore[return-value]

    def _run(self, batch: list[_Ticket]) -> None:
        try:
            results = self._run_batch([t.item for t in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"a batch of {len(batch)} gave {len(results)} results")
        except BaseException as exc:  # every caller of the batch learns of it
            for ticket in batch:
                ticket.error, ticket.done = exc, True
            return
        for ticket, result in zip(batch, results):
            if isinstance(result, BaseException):
                ticket.error = result
            else:
                ticket.result = result
            ticket.done = True
