"""Group commit: callers that queue while a batch runs share the next batch."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from hub.coalesce import Coalescer, _Ticket


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
    sizes, release = [], threading.Event()

    def run(items):
        sizes.append(len(items))
        if len(sizes) == 1:
            release.wait(5)  # the other nine queue behind the first batch
        return list(items)

    coalescer = Coalescer(run, max_batch=3)
    results, errors = {}, {}
    threads = _submit_all(coalescer, [0], results, errors)
    deadline = time.monotonic() + 5
    while not sizes:
        assert time.monotonic() < deadline
        time.sleep(0.001)
    threads += _submit_all(coalescer, list(range(1, 10)), results, errors)
    _queued(coalescer, 9)
    release.set()
    [t.join(5) for t in threads]
    assert sizes == [1, 3, 3, 3] and results == {i: i for i in range(10)} and not errors


def test_callers_are_answered_when_their_batch_ends_not_after_the_next_one():
    """A caller whose batch has finished is not held behind a batch that started after it."""
    calls, answered, release = [], {}, threading.Event()
    coalescer = Coalescer(lambda items: hold(items))

    def hold(items):
        calls.append(list(items))
        if len(calls) == 1:
            _queued(coalescer, 3)  # 1, 2 and 3 queue behind the first batch
        elif len(calls) == 2:
            _queued(coalescer, 1)  # 4 queues behind the second
        else:
            release.wait(5)  # the third batch (4) is held
        return list(items)

    def call(i):
        coalescer.submit(i)
        answered[i] = True

    threads = [threading.Thread(target=call, args=(0,))]
    threads[0].start()
    while not calls:
        time.sleep(0.001)
    threads += [threading.Thread(target=call, args=(i,)) for i in (1, 2, 3)]
    [t.start() for t in threads[1:]]
    while len(calls) < 2:
        time.sleep(0.001)
    threads.append(threading.Thread(target=call, args=(4,)))
    threads[-1].start()
    # While the third batch is held, every caller of the first two has its answer
    deadline = time.monotonic() + 5
    while (len(answered) < 4 or len(calls) < 3) and time.monotonic() < deadline:
        time.sleep(0.001)
    assert sorted(answered) == [0, 1, 2, 3] and calls[2] == [4]
    release.set()
    [t.join(5) for t in threads]
    assert sorted(answered) == [0, 1, 2, 3, 4]


# Under gevent, as in a web process: the database answers a batch in the same turn of the event
# loop as a new request arrives. gevent runs the later of the two first, then the new request,
# before any greenlet merely woken by a lock; and a released gevent lock goes to whoever asks
# first. With callers waiting for a shared lock to find their ticket done, the new request took
# it and started a batch, and the callers of the batch just finished waited for that one too.
GEVENT_ARRIVAL = textwrap.dedent("""
    from gevent import monkey
    monkey.patch_all()
    import json, socket, gevent
    from gevent.event import Event
    from hub.coalesce import Coalescer

    calls, answered, release = [], [], Event()
    database, database_end = socket.socketpair()
    network, network_end = socket.socketpair()

    def run(items):
        calls.append(list(items))
        if len(calls) == 1:
            gevent.sleep(0.01)  # 1 and 2 queue behind the first batch
        elif len(calls) == 2:
            database.recv(1)  # the second batch waits for its answer
        else:
            release.wait(5)  # the third batch is held
        return list(items)

    coalescer = Coalescer(run)

    def call(i):
        coalescer.submit(i)
        answered.append(i)

    def arrival():
        network.recv(1)
        call(3)

    def answer_and_arrive():
        gevent.sleep(0.03)
        network_end.send(b"x")  # both in one turn of the loop, the answer handled first
        database_end.send(b"x")

    greenlets = [gevent.spawn(call, 0)]
    gevent.sleep(0)
    greenlets += [gevent.spawn(call, i) for i in (1, 2)]
    greenlets += [gevent.spawn(arrival), gevent.spawn(answer_and_arrive)]
    gevent.sleep(0.1)
    print(json.dumps({"calls": calls, "answered_while_held": sorted(answered)}))
    release.set()
    gevent.joinall(greenlets, timeout=5)
""")


def test_under_gevent_a_new_arrival_does_not_hold_up_a_finished_batch():
    done = subprocess.run([sys.executable, "-c", GEVENT_ARRIVAL], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["calls"] == [[0], [1, 2], [3]]
    assert seen["answered_while_held"] == [0, 1, 2]


def test_a_caller_killed_while_given_the_lead_passes_it_on():
    """A waiting caller that dies (a request timeout) does not stop the callers behind it."""
    coalescer = Coalescer(lambda items: list(items))
    # Given a batch running and two callers queued behind it, the first of which is dead
    coalescer._busy = True
    dead, alive = _Ticket("dead"), _Ticket("alive")
    coalescer._queue.extend([dead, alive])
    with coalescer._queue_lock:
        coalescer._hand_on()  # the running batch ends: the lead goes to the dead caller
    coalescer._leave(dead)  # what its submit() does when the wait raises
    # Then the next caller leads
    assert alive.lead and coalescer._queue == [alive]
