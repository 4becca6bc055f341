"""A real Dramatiq worker on the real RedisBroker, inside the test process."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterable, Optional

import pytest


def drain_queues(broker, worker, queues: Optional[Iterable[str]] = None,
                 timeout: float = 30) -> None:
    """Wait until every queue is empty, including jobs that jobs enqueued while we waited.

    `broker.join` counts a message until it is acked, so a pass that finds every queue empty
    means no job is still running or waiting.
    """
    names = sorted(queues or broker.get_declared_queues())
    deadline = time.monotonic() + timeout
    while True:
        if all(broker.do_qsize(name) == 0 for name in names):
            worker.join()
            if all(broker.do_qsize(name) == 0 for name in names):
                return
        if time.monotonic() > deadline:
            raise TimeoutError(f"queues not drained in {timeout}s: {names}")
        time.sleep(0.05)


def start_worker(queues: Optional[set[str]] = None, threads: int = 2):
    """A started worker with `.drain()`, on the test broker with emptied queues."""
    import dramatiq

    import workers.actors  # noqa: F401
    from workers.broker import broker

    for queue in broker.get_declared_queues():
        broker.flush(queue)
    w = dramatiq.Worker(broker, worker_timeout=100, worker_threads=threads, queues=queues)
    w.start()
    w.drain = lambda timeout=30: drain_queues(broker, w, queues, timeout)
    return w


@pytest.fixture
def worker():
    """Start a worker (2 threads) on the test broker; stop it after the test.

    `worker.drain()` waits until every queue is empty and every job done.
    """
    w = start_worker()
    yield w
    w.stop()


@pytest.fixture
def spawn_worker(hub_env):
    """Start `python -m dramatiq workers.actors` processes that join this test's DB and Redis.

    Each runs in its own process group, so `spawn_worker.kill(proc)` SIGKILLs it and its
    children at once: no shutdown hooks, no acks. Leftovers are killed after the test.
    """
    started: list[subprocess.Popen] = []
    root = Path(__file__).resolve().parents[1]

    def spawn(threads: int = 2, **extra_env: str) -> subprocess.Popen:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dramatiq", "workers.actors", "--processes", "1",
             "--threads", str(threads)], cwd=root, env={**hub_env, **extra_env},
            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started.append(proc)
        return proc

    def kill(proc: subprocess.Popen) -> None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)

    spawn.kill = kill
    yield spawn
    for proc in started:
        if proc.poll() is None:
            kill(proc)
