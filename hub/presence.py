"""Presence: online while a socket is open and active, away when idle, offline with no socket.

Open sockets are counted per user in Redis (a hash of socket id -> expiry), so every web
process sees the same count; each process refreshes the expiry of its own sockets, so the
sockets of a crashed process stop counting once their expiry passes. The status is stored in
Redis (to decide transitions atomically across processes) and copied to `User.status`, which
routing reads; every transition publishes a `presence` event.
"""
from __future__ import annotations

import logging
import time
from typing import Iterable, Optional

from hub.models import User, utcnow
from hub.realtime import publish
from hub.redis_client import get_redis, key
from hub.settings import get_settings

log = logging.getLogger("hub.presence")

# Seconds a socket counts as open without a refresh from its process (crash tolerance).
SOCKET_TTL = 90
# `User.last_active` is written at most this often per user (activity is frequent).
LAST_ACTIVE_WRITE_SECONDS = 30


def _sockets_key(user_id: str) -> str:
    return key("presence", "sockets", user_id)


def _activity_key(user_id: str) -> str:
    return key("presence", "active", user_id)


def _status_key(user_id: str) -> str:
    return key("presence", "status", user_id)


def socket_opened(user_id: str, socket_id: str) -> str:
    """Count a new socket of the user and mark them active; returns the new status."""
    client = get_redis()
    # Activity first: a sweep between the two writes must not see an open socket with no activity.
    client.set(_activity_key(user_id), time.time())
    client.hset(_sockets_key(user_id), socket_id, time.time() + SOCKET_TTL)
    client.expire(_sockets_key(user_id), SOCKET_TTL * 2)
    return touch(user_id, force_write=True)


def socket_closed(user_id: str, socket_id: str) -> str:
    get_redis().hdel(_sockets_key(user_id), socket_id)
    return refresh(user_id)


def keep_alive(sockets: Iterable[tuple[str, str]]) -> None:
    """Push back the expiry of this process's open sockets, given as (user_id, socket_id)."""
    pipe = get_redis().pipeline(transaction=False)
    deadline = time.time() + SOCKET_TTL
    for user_id, socket_id in sockets:
        pipe.hset(_sockets_key(user_id), socket_id, deadline)
        pipe.expire(_sockets_key(user_id), SOCKET_TTL * 2)
    pipe.execute()


def touch(user_id: str, *, force_write: bool = False) -> str:
    """Record activity of the user (a request or typing on a socket); returns the status."""
    now = time.time()
    previous = get_redis().getset(_activity_key(user_id), now)
    if force_write or previous is None or now - float(previous) >= LAST_ACTIVE_WRITE_SECONDS:
        User.update(last_active=utcnow()).where(User.id == user_id).execute()
    return refresh(user_id)


def open_sockets(user_id: str) -> int:
    """Sockets of the user whose process refreshed them recently."""
    now = time.time()
    entries = get_redis().hgetall(_sockets_key(user_id))
    stale = [field for field, deadline in entries.items() if float(deadline) < now]
    if stale:
        get_redis().hdel(_sockets_key(user_id), *stale)
    return len(entries) - len(stale)


def desired_status(user_id: str) -> str:
    if open_sockets(user_id) == 0:
        return "offline"
    last = get_redis().get(_activity_key(user_id))
    idle = time.time() - float(last) if last else float("inf")
    return "away" if idle >= get_settings().presence_away_seconds else "online"


def refresh(user_id: str) -> str:
    """Bring the stored status in line with sockets and activity; publish on a change."""
    status = desired_status(user_id)
    previous = get_redis().getset(_status_key(user_id), status)
    previous = previous.decode() if previous else None
    if previous != status:
        _store(user_id, status)
    return status


def _store(user_id: str, status: str) -> None:
    user = User.get_or_none(User.id == user_id)
    if user is None:
        return
    User.update(status=status).where(User.id == user_id).execute()
    last_active = get_redis().get(_activity_key(user_id))
    publish(user.company_id, "presence",
            {"userId": user_id, "status": status, "name": user.name,
             "lastActive": float(last_active) if last_active else None})


def sweep(extra_user_ids: Optional[Iterable[str]] = None) -> int:
    """Re-evaluate everyone shown online or away (and `extra_user_ids`); returns changes.

    Finds the agents who went idle, and those whose process died with their sockets open.
    """
    ids = {u.id for u in User.select(User.id).where(User.status != "offline")}
    ids.update(extra_user_ids or ())
    changes = 0
    for user_id in ids:
        before = get_redis().get(_status_key(user_id))
        if refresh(user_id) != (before.decode() if before else None):
            changes += 1
    return changes
