"""Presence: online while a socket is open and active, away when idle, offline with no socket.

Open sockets are counted per user in Redis (a hash of socket id -> expiry), so every web
process sees the same count; each process refreshes the expiry of its own sockets, so the
sockets of a crashed process stop counting once their expiry passes. The status is stored in
Redis (to decide transitions atomically across processes) and copied to `User.status`, which
routing reads; every transition publishes a `presence` event.

Every read-decide-write runs as one Lua script on Redis's own clock: a sweep in one process
and a new socket or a request in another cannot interleave (a sweep that read "no activity"
before the socket's first activity was written used to publish a spurious `away`), and the
web processes' clocks never have to agree.
"""
from __future__ import annotations

import logging
from typing import Any, Iterable, Optional

from hub.companies import user_settings
from hub.models import User, utcnow
from hub.realtime import publish
from hub.redis_client import get_redis, key
from hub.settings import get_settings

log = logging.getLogger("hub.presence")

# Seconds a socket counts as open without a refresh from its process (crash tolerance).
SOCKET_TTL = 90
# `User.last_active` is written at most this often per user (activity is frequent).
LAST_ACTIVE_WRITE_SECONDS = 30

# Redis's clock as a float, shared by the scripts below.
_NOW = "local t = redis.call('TIME') local now = tonumber(t[1]) + tonumber(t[2]) / 1000000 "

# KEYS: sockets, activity; ARGV: socket id, ttl. Activity first, then the socket counts.
_OPEN = _NOW + """
redis.call('SET', KEYS[2], tostring(now))
redis.call('HSET', KEYS[1], ARGV[1], tostring(now + tonumber(ARGV[2])))
redis.call('EXPIRE', KEYS[1], 2 * tonumber(ARGV[2]))
return tostring(now)
"""
# KEYS: activity. Returns {now, previous activity or false}.
_TOUCH = _NOW + """
local previous = redis.call('GETSET', KEYS[1], tostring(now))
return {tostring(now), previous}
"""
# KEYS: sockets hashes; ARGV: ttl, then one socket id per key. Only sockets still counted:
# a socket closed meanwhile (its field deleted) must not come back.
_KEEP_ALIVE = _NOW + """
local ttl = tonumber(ARGV[1])
for i, hash in ipairs(KEYS) do
  if redis.call('HEXISTS', hash, ARGV[i + 1]) == 1 then
    redis.call('HSET', hash, ARGV[i + 1], tostring(now + ttl))
    redis.call('EXPIRE', hash, 2 * ttl)
  end
end
return #KEYS
"""
# KEYS: sockets, activity, status; ARGV: away seconds. Returns {status, previous or false}.
_REFRESH = _NOW + """
local entries = redis.call('HGETALL', KEYS[1])
local open, stale = 0, {}
for i = 1, #entries, 2 do
  if tonumber(entries[i + 1]) < now then table.insert(stale, entries[i]) else open = open + 1 end
end
if #stale > 0 then redis.call('HDEL', KEYS[1], unpack(stale)) end
local status = 'offline'
if open > 0 then
  local last = redis.call('GET', KEYS[2])
  if last and now - tonumber(last) < tonumber(ARGV[1]) then status = 'online' else status = 'away' end
end
local previous = redis.call('GETSET', KEYS[3], status)
return {status, previous}
"""


def _sockets_key(user_id: str) -> str:
    return key("presence", "sockets", user_id)


def _activity_key(user_id: str) -> str:
    return key("presence", "active", user_id)


def _status_key(user_id: str) -> str:
    return key("presence", "status", user_id)


def _text(value: Any) -> Optional[str]:
    return value.decode() if isinstance(value, bytes) else value


def socket_opened(user_id: str, socket_id: str) -> str:
    """Count a new socket of the user and mark them active; returns the new status."""
    get_redis().eval(_OPEN, 2, _sockets_key(user_id), _activity_key(user_id), socket_id, SOCKET_TTL)
    User.update(last_active=utcnow()).where(User.id == user_id).execute()
    return refresh(user_id)


def socket_closed(user_id: str, socket_id: str) -> str:
    get_redis().hdel(_sockets_key(user_id), socket_id)
    return refresh(user_id)


def keep_alive(sockets: Iterable[tuple[str, str]]) -> None:
    """Push back the expiry of this process's open sockets, given as (user_id, socket_id)."""
    sockets = list(sockets)
    for start in range(0, len(sockets), 500):  # bounded scripts: Redis serves others meanwhile
        batch = sockets[start:start + 500]
        get_redis().eval(_KEEP_ALIVE, len(batch), *[_sockets_key(u) for u, _ in batch],
                         SOCKET_TTL, *[s for _, s in batch])


def touch(user_id: str) -> str:
    """Record activity of the user (a request or typing on a socket); returns the status."""
    now, previous = get_redis().eval(_TOUCH, 1, _activity_key(user_id))
    if previous is None or float(now) - float(previous) >= LAST_ACTIVE_WRITE_SECONDS:
        User.update(last_active=utcnow()).where(User.id == user_id).execute()
    return refresh(user_id)


def refresh(user_id: str) -> str:
    """Bring the stored status in line with sockets and activity; publish on a change."""
    status, previous = get_redis().eval(
        _REFRESH, 3, _sockets_key(user_id), _activity_key(user_id), _status_key(user_id),
        get_settings().presence_away_seconds)
    status, previous = _text(status), _text(previous)
    if previous != status:
        _store(user_id, status)
    return status


def _store(user_id: str, status: str) -> None:
    user = User.get_or_none(User.id == user_id)
    if user is None:
        return
    User.update(status=status).where(User.id == user_id).execute()
    last_active = get_redis().get(_activity_key(user_id))
    hidden = not user_settings(user)["privacy"].get("showStatus", True)
    publish(user.company_id, "presence",
            {"userId": user_id, "status": "offline" if hidden else status, "name": user.name,
             "lastActive": float(last_active) if last_active else None})


def sweep(extra_user_ids: Optional[Iterable[str]] = None) -> int:
    """Re-evaluate everyone shown online or away (and `extra_user_ids`); returns changes.

    Finds the agents who went idle, and those whose process died with their sockets open.
    """
    ids = {u.id for u in User.select(User.id).where(User.status != "offline")}
    ids.update(extra_user_ids or ())
    changes = 0
    for user_id in ids:
        before = _text(get_redis().get(_status_key(user_id)))
        if refresh(user_id) != before:
            changes += 1
    return changes
