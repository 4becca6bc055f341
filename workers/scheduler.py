"""The scheduler role: APScheduler fires, Dramatiq runs. It only enqueues.

Several schedulers may run for availability: each firing takes a lease in Redis named after the
job and its fire time, so exactly one of them enqueues it.
"""
from __future__ import annotations

import logging
import socket
import os
import calendar
from datetime import datetime, timezone
from typing import Optional

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from hub.db import connection
from hub.jobs import enqueue
from hub.models import JobRun, utcnow
from hub.redis_client import get_redis, key
from hub.settings import get_settings

log = logging.getLogger("hub.scheduler")

# Job name -> (actor name, default timing: seconds as an int, or a crontab string).
SCHEDULE: dict[str, tuple[str, object]] = {}

# Seconds a firing's lease lives: longer than any clock skew between two schedulers.
LEASE_SECONDS = 3600


def register(name: str, actor_name: str, timing: object) -> None:
    """Add a scheduled job (called by the modules that own the actors)."""
    SCHEDULE[name] = (actor_name, timing)


# Interval jobs start from this instant on every scheduler, so their firings line up.
EPOCH = datetime(2020, 1, 1, tzinfo=timezone.utc)


def trigger_for(timing: object):
    if isinstance(timing, (int, float)) or str(timing).isdigit():
        return IntervalTrigger(seconds=int(timing), start_date=EPOCH)
    return CronTrigger.from_crontab(str(timing), timezone="UTC")


def fire(name: str, fire_time: Optional[datetime] = None) -> str:
    """Enqueue job `name` unless another scheduler already took this firing's lease."""
    actor_name, _ = SCHEDULE[name]
    stamp = calendar.timegm((fire_time or utcnow()).timetuple())
    owner = f"{socket.gethostname()}-{os.getpid()}"
    lease = key("sched", name, stamp)
    if not get_redis().set(lease, owner, nx=True, ex=LEASE_SECONDS):
        outcome, detail = "skipped", "another scheduler fired it"
    else:
        try:
            enqueue(actor_name)
            outcome, detail = "enqueued", None
        except Exception as exc:
            outcome, detail = "error", repr(exc)
    log.info("scheduled job=%s outcome=%s detail=%s", name, outcome, detail)
    try:
        with connection():
            JobRun.create(job=name, scheduler=owner, outcome=outcome, detail=detail)
    except Exception:
        log.exception("could not record the run of %s", name)
    return outcome


def build_scheduler() -> BlockingScheduler:
    import workers.actors  # noqa: F401  (modules register their schedules on import)

    scheduler = BlockingScheduler(timezone="UTC")
    overrides = get_settings().schedules
    for name, (_, timing) in SCHEDULE.items():
        trigger = trigger_for(overrides.get(name, timing))

        def job(name=name, trigger=trigger):
            # The firing's nominal time, the same on every scheduler.
            fire(name, _nominal_time(scheduler, name))

        scheduler.add_job(job, trigger, id=name, name=name, coalesce=True,
                          max_instances=1, misfire_grace_time=30)
    return scheduler


def _nominal_time(scheduler: BlockingScheduler, name: str) -> datetime:
    now = utcnow()
    job = scheduler.get_job(name)
    trigger = job.trigger if job else None
    if isinstance(trigger, IntervalTrigger):
        period = trigger.interval.total_seconds()
        seconds = calendar.timegm(now.timetuple())
        return datetime.utcfromtimestamp(round(seconds / period) * period)
    return now.replace(second=0, microsecond=0)


def run_scheduler() -> None:
    scheduler = build_scheduler()
    log.info("scheduler started jobs=%s", ", ".join(sorted(SCHEDULE)) or "none")
    scheduler.start()
