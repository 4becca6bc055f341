"""Scheduled actors: analytics rollups, archiving, channel sync, presence, notifications.

Each is thin: it calls a `hub` service and logs the outcome; the scheduler (which only enqueues)
records every firing in JobRun. All are idempotent, so a redelivered message is harmless.
"""
from __future__ import annotations

import logging
from datetime import timedelta

import dramatiq

import workers.broker  # noqa: F401  (the broker before any actor)
from hub import analytics, archiving, channel_sync, housekeeping
from hub.jobs import enqueue
from hub.models import Channel, utcnow
from workers.scheduler import register

log = logging.getLogger("hub.scheduled")


def _outcome(job: str, result: object) -> None:
    # Logged, not returned: Dramatiq warns about every returned value without a results backend.
    log.info("scheduled job=%s outcome=ok result=%s", job, result)


@dramatiq.actor(queue_name="scheduled", max_retries=3)
def rollup_today() -> None:
    _outcome("analytics_today", analytics.recompute_day(None, utcnow().date()))


@dramatiq.actor(queue_name="scheduled", max_retries=3)
def rollup_yesterday() -> None:
    day = utcnow().date() - timedelta(days=1)
    _outcome("analytics_yesterday", analytics.recompute_day(None, day))


@dramatiq.actor(queue_name="scheduled", max_retries=3, time_limit=6 * 3600 * 1000)
def archive_nightly() -> None:
    result = {"archived": archiving.archive_idle(), "retention": archiving.run_retention()}
    _outcome("archiving", result)


def _active_channels(kinds: tuple[str, ...]):
    return Channel.select(Channel.id, Channel.settings).where(
        Channel.deleted_at.is_null(), Channel.status != "disabled", Channel.kind.in_(kinds))


@dramatiq.actor(queue_name="scheduled", max_retries=3)
def sync_channels() -> None:
    ids = [c.id for c in _active_channels(("whatsapp", "telegram", "instagram", "messenger"))]
    for channel_id in ids:
        enqueue("sync_channel", channel_id)
    _outcome("channel_sync", {"enqueued": len(ids)})


@dramatiq.actor(queue_name="scheduled", max_retries=2, throws=(channel_sync.SyncError,))
def sync_channel(channel_id: str) -> None:
    _outcome("sync_channel", channel_sync.sync_channel(channel_id))


@dramatiq.actor(queue_name="scheduled", max_retries=0)
def poll_telegram_channels() -> None:
    ids = [c.id for c in _active_channels(("telegram",)) if (c.settings or {}).get("mode") == "polling"]
    for channel_id in ids:
        enqueue("poll_telegram", channel_id)
    _outcome("telegram_polling", {"enqueued": len(ids)})


@dramatiq.actor(queue_name="scheduled", max_retries=0, throws=(channel_sync.SyncError,))
def poll_telegram(channel_id: str) -> None:
    _outcome("poll_telegram", channel_sync.sync_channel(channel_id, poll_only=True))


@dramatiq.actor(queue_name="scheduled", max_retries=1)
def expire_presence() -> None:
    _outcome("presence_expiry", housekeeping.expire_presence())


@dramatiq.actor(queue_name="scheduled", max_retries=3)
def clean_notifications() -> None:
    _outcome("notification_cleanup", housekeeping.clean_notifications())


# Job name -> actor and default timing (seconds, or crontab in UTC); HUB_SCHEDULE_<JOB> overrides.
register("analytics_today", "rollup_today", 300)
register("analytics_yesterday", "rollup_yesterday", "15 0 * * *")
register("archiving", "archive_nightly", "30 2 * * *")
register("channel_sync", "sync_channels", 3600)
register("telegram_polling", "poll_telegram_channels", 15)
register("presence_expiry", "expire_presence", 60)
register("notification_cleanup", "clean_notifications", "45 3 * * *")
