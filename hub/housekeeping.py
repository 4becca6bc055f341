"""Housekeeping: presence expiry and notification clean-up."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

from hub.db import transaction
from hub.models import Notification, User, utcnow
from hub.realtime import publish_after_commit

# Minutes without activity after which an online agent shows as away, then offline.
AWAY_AFTER_MINUTES = 5
OFFLINE_AFTER_MINUTES = 30
# Read notifications older than this many days are deleted.
NOTIFICATION_DAYS = 30


def expire_presence(now: Optional[datetime] = None) -> dict[str, int]:
    """online -> away after AWAY_AFTER_MINUTES idle, online/away -> offline after OFFLINE_..."""
    now = now or utcnow()
    changes = {"away": 0, "offline": 0}
    rules = [("offline", ("online", "away"), now - timedelta(minutes=OFFLINE_AFTER_MINUTES)),
             ("away", ("online",), now - timedelta(minutes=AWAY_AFTER_MINUTES))]
    for status, current, cutoff in rules:
        idle = User.select(User.id, User.company).where(
            User.status.in_(current), (User.last_active.is_null()) | (User.last_active < cutoff))
        for user in idle:
            with transaction():
                # Guarded update: an agent who became active meanwhile keeps their status.
                changed = (User.update(status=status)
                           .where(User.id == user.id, User.status.in_(current),
                                  (User.last_active.is_null()) | (User.last_active < cutoff))
                           .execute())
                if changed:
                    publish_after_commit(user.company_id, "presence",
                                         {"userId": user.id, "status": status})
            changes[status] += changed
    return changes


def clean_notifications(now: Optional[datetime] = None, days: int = NOTIFICATION_DAYS) -> int:
    """Delete read notifications older than `days`; unread ones stay whatever their age."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    return (Notification.delete()
            .where(Notification.read == True, Notification.created_at < cutoff)  # noqa: E712
            .execute())
