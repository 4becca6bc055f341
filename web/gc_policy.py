"""Garbage collection in a web process that holds thousands of sockets.

Python's full (generation 2) collection walks every tracked object, and it stops the whole
process while it does: every socket's greenlet, every webhook. With 2,000 agents connected a
web process tracks about 500,000 objects, and `bench.realtime` measured full collections of
55-360 ms every 15-20 s; those pauses were the realtime p99 (fan-out alone on an idle machine:
p99 20-80 ms against 2-3 ms without them).

So what survives a full collection is frozen (`gc.freeze`): connections, their greenlets and
the app's own objects live for minutes or hours, and later full collections walk only what
came since. Frozen objects are still freed by reference counting; only cycles among them wait.
To reclaim those (a socket that closed leaves some), when the frozen set has grown by half
since the last collection that saw everything, and at most every RECLAIM_EVERY_S, the next full
collection walks everything again: one long pause, rare, and only when memory grew.
"""
from __future__ import annotations

import gc
import time

# The frozen set may grow by this factor before a full collection walks everything again ...
RECLAIM_GROWTH = 1.5
# ... and that happens at most this often.
RECLAIM_EVERY_S = 300.0


class _State:
    baseline = 0  # objects frozen after the last collection that walked everything
    last_reclaim = 0.0
    reclaiming = False  # the next full collection walks everything


def install() -> None:
    """Freeze what the app loaded and what each full collection leaves (call once per process)."""
    gc.freeze()
    _State.baseline = gc.get_freeze_count()
    _State.last_reclaim = time.monotonic()
    if _after_collection not in gc.callbacks:
        gc.callbacks.append(_after_collection)


def _after_collection(phase: str, info: dict) -> None:
    if phase != "stop" or info.get("generation") != 2:
        return
    gc.freeze()  # the survivors of this full collection
    frozen = gc.get_freeze_count()
    now = time.monotonic()
    if _State.reclaiming:  # this collection walked everything
        _State.reclaiming = False
        _State.baseline, _State.last_reclaim = frozen, now
    elif (frozen > _State.baseline * RECLAIM_GROWTH
          and now - _State.last_reclaim >= RECLAIM_EVERY_S):
        gc.unfreeze()  # the next full collection walks everything, cycles among them included
        _State.reclaiming = True
