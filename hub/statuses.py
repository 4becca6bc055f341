"""Message statuses only move forward: queued < sending < sent < failed < delivered < read.

`failed` ranks above `sent` (a provider reports a failure after accepting a message) and below
`delivered` (a message the provider later delivers was not lost after all). Incoming messages
are `received` and never change status this way.
"""
from __future__ import annotations

RANK = {"queued": 1, "sending": 2, "sent": 3, "failed": 3.5, "delivered": 4, "read": 5}
OUTGOING = tuple(RANK)


def lower_than(status: str) -> list[str]:
    """Statuses a message may advance from to reach `status`."""
    rank = RANK[status]
    return [s for s, r in RANK.items() if r < rank]


def advances(current: str, new: str) -> bool:
    return new in RANK and current in RANK and RANK[new] > RANK[current]
