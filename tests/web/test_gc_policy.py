"""The web process's garbage collection policy (web.gc_policy), in a process of its own: the
collector's state is global, and freezing objects in the test runner would leak them."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import gc, json, weakref
    from web import gc_policy

    class Node:
        pass

    gc_policy.install()
    seen = {}
    # Long-lived objects (connections, say) survive a full collection and are frozen
    kept = [Node() for _ in range(20000)]
    unfrozen_before = len(gc.get_objects())
    gc.collect()
    seen["frozen_after_survival"] = gc.get_freeze_count()
    seen["unfrozen_before"], seen["unfrozen_after"] = unfrozen_before, len(gc.get_objects())
    # A cycle that is frozen, then dropped (a closed socket), stays until a reclaim
    a, b = Node(), Node()
    a.peer, b.peer = b, a
    gone = weakref.ref(a)
    gc.collect()
    del a, b
    gc.collect()
    seen["cycle_kept_while_frozen"] = gone() is not None
    # Once the frozen set has grown by half and the interval passed, everything is walked again
    gc_policy.RECLAIM_EVERY_S = 0
    more = [Node() for _ in range(int(gc.get_freeze_count() * 0.6))]
    gc.collect()  # freezes them, sees the growth, unfreezes everything
    gc.collect()  # walks everything
    seen["cycle_reclaimed"] = gone() is None
    seen["frozen_again"] = gc.get_freeze_count() >= len(kept) + len(more)
    print(json.dumps(seen))
""")


def test_survivors_of_a_full_collection_are_frozen_and_cycles_reclaimed_when_it_grew():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["frozen_after_survival"] >= 20000
    assert seen["unfrozen_after"] < seen["unfrozen_before"] - 20000  # no longer walked
    assert seen["cycle_kept_while_frozen"] is True
    assert seen["cycle_reclaimed"] is True
    assert seen["frozen_again"] is True
