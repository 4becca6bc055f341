"""Operator commands on data: `hub archive run|restore`, `hub erase-contact`, `hub analytics`."""
from __future__ import annotations

import sys
from contextlib import contextmanager
from datetime import timedelta
from typing import Callable, Iterator, Optional

from hub.runtime import Runtime

# Days recomputed per statement set by `hub analytics recompute`.
RECOMPUTE_CHUNK_DAYS = 10


@contextmanager
def progress(total: Optional[int], desc: str) -> Iterator[Callable[[int], None]]:
    """A progress bar (tqdm when installed, a plain counter on stderr otherwise)."""
    try:
        from tqdm import tqdm
    except ModuleNotFoundError:  # the bar is a nicety; the command must still run
        done = [0]

        def step(n: int) -> None:
            done[0] += n
            print(f"\r{desc}: {done[0]}" + (f"/{total}" if total else ""), end="", file=sys.stderr)

        yield step
        print(file=sys.stderr)
        return
    with tqdm(total=total, desc=desc, unit="msg" if desc != "days" else "day") as bar:
        yield bar.update


@contextmanager
def _runtime() -> Iterator[None]:
    from hub.db import connection

    runtime = Runtime()
    runtime.start()
    try:
        with connection():
            yield
    finally:
        runtime.stop()


def cmd_archive_run(args) -> int:
    from hub import archiving
    from hub.models import Message, utcnow

    with _runtime():
        archived = archiving.archive_idle()
        print(f"conversations archived: {archived}")
        with progress(None, "messages archived") as step:
            moved = archiving.run_retention(company_id=args.company, now=utcnow(), progress=step)
        print(f"messages moved to archives: {sum(moved.values())} "
              f"({len(moved)} companies); hot messages left: {Message.select().count()}")
    return 0


def cmd_archive_restore(args) -> int:
    from hub import archiving
    from hub.archive_files import ArchiveError

    with _runtime():
        try:
            with progress(None, "messages read") as step:
                counts = archiving.restore_month(args.company_id, args.month, progress=step)
        except ArchiveError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"restored {counts['messages']} messages and {counts['attachments']} attachments"
              f" ({counts['skipped']} skipped: conversation deleted)")
    return 0


def cmd_erase_contact(args) -> int:
    from hub.erasure import erase_contact
    from hub.errors import NotFound

    with _runtime():
        try:
            counts = erase_contact(args.contact_id, actor=args.actor)
        except NotFound:
            print(f"error: no contact {args.contact_id}", file=sys.stderr)
            return 1
        print("erased: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    return 0


def cmd_analytics_recompute(args) -> int:
    from hub.analytics import recompute_range
    from hub.models import utcnow

    with _runtime():
        today = utcnow().date()
        first = today - timedelta(days=args.days - 1)
        rows = 0
        # Chunks of days: each is one set of grouped passes, and the bar still moves.
        with progress(args.days, "days") as step:
            start = first
            while start <= today:
                end = min(today, start + timedelta(days=RECOMPUTE_CHUNK_DAYS - 1))
                rows += recompute_range(args.company, start, end)
                step((end - start).days + 1)
                start = end + timedelta(days=1)
        print(f"recomputed {args.days} days, {rows} rollup rows")
    return 0


def register(sub) -> None:
    """Add the data commands to the `hub` parser."""
    archive = sub.add_parser("archive", help="archiving and retention")
    actions = archive.add_subparsers(dest="archive_command", required=True)
    run = actions.add_parser("run", help="archive idle conversations, apply retention")
    run.add_argument("--company", help="only this company id")
    run.set_defaults(func=cmd_archive_run)
    restore = actions.add_parser("restore", help="bring an archived month back")
    restore.add_argument("company_id")
    restore.add_argument("month", help="YYYY-MM")
    restore.set_defaults(func=cmd_archive_restore)
    erase = sub.add_parser("erase-contact", help="erase a contact's personal data everywhere")
    erase.add_argument("contact_id")
    erase.add_argument("--actor", default="cli", help="who asked (kept in the audit log)")
    erase.set_defaults(func=cmd_erase_contact)
    analytics = sub.add_parser("analytics", help="analytics rollups")
    an_actions = analytics.add_subparsers(dest="analytics_command", required=True)
    recompute = an_actions.add_parser("recompute", help="recompute the last N days' rollups")
    recompute.add_argument("--days", type=int, default=1)
    recompute.add_argument("--company", help="only this company id (default: all)")
    recompute.set_defaults(func=cmd_analytics_recompute)
