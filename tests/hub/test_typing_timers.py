"""Typing expiry timers can be cancelled when a process shuts its Redis down."""
from __future__ import annotations

import time

from hub import typing_indicator


def test_cancelled_timers_never_fire_and_others_do(monkeypatch):
    fired: list[str] = []
    monkeypatch.setattr(typing_indicator, "_expire",
                        lambda company, conversation, *rest: fired.append(conversation))
    typing_indicator._schedule("c1", "conv-a", "u1", "Ann", "agent", 0.2)
    typing_indicator._schedule("c1", "conv-b", "u1", "Ann", "agent", 0.2)
    typing_indicator.cancel_timers()
    typing_indicator._schedule("c1", "conv-c", "u1", "Ann", "agent", 0.2)
    deadline = time.monotonic() + 5
    while not fired and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # the cancelled ones were due at the same time
    assert fired == ["conv-c"]
    typing_indicator.cancel_timers()  # forget the fired one (the real _expire would have)
