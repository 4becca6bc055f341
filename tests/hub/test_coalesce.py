"""Group commit: callers that queue while a batch runs share the next batch."""
from __future__ import annotations

import threading
import time

import pytest

from hub.coalesce import Coalescer


def _queued(coalescer: Coalescer, count: int, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while len(coalescer._queue) < count:
        assert time.monotonic() < deadline, "callers did not queue"
        time.sleep(0.001)


def _submit_all(coalescer, items, results, errors):
    def call(item):
        try:
            results[item] = coalescer.submit(item)
        except Exception as exc:
            errors[item] = exc
    threads = [threading.Thread(target=call, args=(i,)) for i in items]
    [t.start() for t in threads]
    return threads


def test_callers_queued_behind_a_running_batch_share_the_next_one():
    batches = []
    first_started, release = threading.Event(), threading.Event()

    def run(items):
        batches.append(list(items))
        if len(batches) == 1:
            first_started.set()
            release.wait(5)
        return [item * 10 for item in items]

    coalescer = Coalescer(run)
    results, errors = {}, {}
    first = _submit_all(coalescer, [0], results, errors)
    assert first_started.wait(5)
    # Given nine callers arriving while the first batch is still running
    rest = _submit_all(coalescer, list(range(1, 10)), results, errors)
    _queued(coalescer, 9)
    release.set()
    [t.join(5) for t in first + rest]
    # Then they ran as one second batch, and each got its own result
    assert batches == [[0], sorted(batches[1])] and sorted(batches[1]) == list(range(1, 10))
    assert results == {i: i * 10 for i in range(10)} and not errors


def test_an_item_error_reaches_only_its_caller_and_a_batch_error_every_caller():
    def run(items):
        if "boom" in items:
            raise RuntimeError("the database went away")
        return [ValueError(f"bad {i}") if i.startswith("bad") else i.upper() for i in items]

    coalescer = Coalescer(run)
    assert coalescer.submit("ok") == "OK"
    with pytest.raises(ValueError, match="bad 1"):
        coalescer.submit("bad 1")
    with pytest.raises(RuntimeError, match="went away"):
        coalescer.submit("boom")
    assert coalescer.submit("again") == "AGAIN"  # a failed batch leaves nothing behind


def test_a_batch_starts_after_every_item_in_it_was_submitted():
    """The freshness promise: no caller gets a result computed before it asked."""
    submitted, started = {}, []

    def run(items):
        started.append((time.monotonic(), list(items)))
        time.sleep(0.002)
        return items

    coalescer = Coalescer(run)

    def call(i):
        submitted[i] = time.monotonic()
        coalescer.submit(i)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(40)]
    [t.start() for t in threads]
    [t.join(5) for t in threads]
    assert sorted(i for _, items in started for i in items) == list(range(40))
    for at, items in started:
        assert all(submitted[i] <= at for i in items)


def test_batches_are_capped():
    sizes = []
    coalescer = Coalescer(lambda items: sizes.append(len(items)) or list(items), max_batch=3)
    gate = threading.Lock()
    gate.acquire()
    coalescer._turn = gate  # nobody may run a batch until all ten have queued
    results, errors = {}, {}
    threads = _submit_all(coalescer, list(range(10)), results, errors)
    _queued(coalescer, 10)
    gate.release()
    [t.join(5) for t in threads]
    assert sum(sizes) == 10 and max(sizes) == 3 and results == {i: i for i in range(10)}
