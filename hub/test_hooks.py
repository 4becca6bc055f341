"""Test hooks: narrowly scoped pauses that let tests kill a real worker between two steps.

Inactive unless the settings name a marker file (HUB_TEST_PAUSE_AFTER_INSERT); the hub never
sets it. A test starts a worker process with it, waits for the marker, then SIGKILLs the worker
while its transaction is still open.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from hub.settings import get_settings

# Seconds a paused job sleeps: far longer than a test needs to kill it.
PAUSE_SECONDS = 120


def pause_after_insert() -> None:
    """Write the marker file and sleep, if the test hook is set; otherwise return at once."""
    marker = get_settings().test_pause_after_insert
    if not marker:
        return
    Path(marker).write_text(str(os.getpid()))
    time.sleep(PAUSE_SECONDS)
