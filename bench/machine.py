"""CPU bills of processes on this machine, for benchmarks that share it with their load."""
from __future__ import annotations

from typing import Iterable

import psutil


def cpu_seconds(procs: Iterable[psutil.Process]) -> float:
    """User + system CPU seconds so far of these processes (ended ones count nothing)."""
    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def named_cpu_seconds(names: tuple[str, ...]) -> float:
    """CPU seconds so far of every process with one of these names (e.g. all of PostgreSQL)."""
    return cpu_seconds(p for p in psutil.process_iter(["name"]) if p.info["name"] in names)
