"""What every benchmark shares: the --quick/--full choice and where its result is written."""
from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path
from typing import Any, Optional

RESULTS = Path(__file__).resolve().parent / "results"


def mode_parser(prog: str, description: Optional[str] = None) -> argparse.ArgumentParser:
    """A parser whose `mode` is "quick" (the default, a short run) or "full" (the README's)."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quick", action="store_const", dest="mode", const="quick",
                       help="a short run (the default)")
    group.add_argument("--full", action="store_const", dest="mode", const="full",
                       help="the run the README's table reports")
    parser.set_defaults(mode="quick")
    return parser


def stop_cleanly_on_sigterm() -> None:
    """Make SIGTERM (`timeout`, a CI runner, `kill`) raise SystemExit in this process.

    Python's default SIGTERM ends the process without running `finally` blocks. A benchmark's
    `finally` stops the servers and workers it started and drops its database and Redis
    namespace. Its children would also get SIGTERM from the kernel once it died
    (`hub.supervisor.die_with_parent`), but only the `finally` drops the database.
    """
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def save(name: str, result: dict[str, Any]) -> Path:
    """Print the result and write it to bench/results/<name>.json."""
    text = json.dumps(result, indent=2)
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{name}.json"
    out.write_text(text + "\n")
    print(f"wrote {out}", flush=True)
    return out
