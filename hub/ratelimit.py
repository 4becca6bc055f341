"""Rate limits shared by every process through Redis."""
from __future__ import annotations

import time

from hub.redis_client import get_redis, key

# Lua: a fixed-window counter that sets its expiry on the first hit.
_FIXED_WINDOW = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}
"""


def hit(name: str, limit: int, window_seconds: float) -> tuple[bool, float]:
    """Count one hit on `name`; (allowed, seconds until the window resets)."""
    client = get_redis()
    count, ttl_ms = client.eval(_FIXED_WINDOW, 1, key("rl", name), int(window_seconds * 1000))
    return count <= limit, max(ttl_ms, 0) / 1000


def reset(name: str) -> None:
    get_redis().delete(key("rl", name))


def acquire_slot(name: str, per_second: float) -> float:
    """Reserve the next send slot of a `per_second` limit; seconds to wait before using it.

    A shared schedule in Redis (the time the next slot opens), so every worker process sees the
    same budget; waiting for it does not count as a failed attempt.
    """
    interval_ms = 1000.0 / per_second
    script = """
    local now = tonumber(ARGV[1]); local interval = tonumber(ARGV[2])
    local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
    if nxt < now then nxt = now end
    redis.call('SET', KEYS[1], nxt + interval, 'PX', math.ceil(interval * 2 + (nxt - now)))
    return tostring(nxt - now)
    """
    now_ms = time.time() * 1000
    wait_ms = float(get_redis().eval(script, 1, key("slot", name), now_ms, interval_ms))
    return wait_ms / 1000


# Lua: reserve the next slot of a schedule only if it opens within max_wait; else just report.
_TRY_SLOT = """
local now = tonumber(ARGV[1]); local interval = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
if nxt < now then nxt = now end
if nxt - now > max_wait then return {0, tostring(nxt - now)} end
redis.call('SET', KEYS[1], nxt + interval, 'PX', math.ceil(interval * 2 + (nxt - now)))
return {1, tostring(nxt - now)}
"""


def try_acquire_slot(name: str, per_second: float, max_wait: float) -> tuple[bool, float]:
    """Like `acquire_slot`, but reserve only a slot opening within `max_wait` seconds.

    (reserved, seconds to wait): a caller that got no slot comes back after the wait instead
    of holding a reservation it would not use (which would slow everyone else down).
    """
    now_ms = time.time() * 1000
    reserved, wait_ms = get_redis().eval(_TRY_SLOT, 1, key("slot", name), now_ms,
                                         1000.0 / per_second, max_wait * 1000)
    return bool(int(reserved)), float(wait_ms) / 1000


# Lua: take the turn of `name` if the last one started at least `gap` ms ago (Redis's clock,
# the same for every machine); else say how long until it may.
_GAP = """
local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local gap = tonumber(ARGV[1])
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
if now - last >= gap then
  redis.call('SET', KEYS[1], tostring(now), 'PX', math.ceil(gap * 2))
  return '0'
end
return tostring(last + gap - now)
"""


def take_turn(name: str, min_gap_seconds: float) -> float:
    """Start now if the previous start of `name` was `min_gap_seconds` ago: 0, else the wait.

    Slots spread senders out ahead of time; this check right before a request keeps the real
    starts apart even when a sender runs late after its slot (a busy machine, a slow query).
    """
    wait_ms = float(get_redis().eval(_GAP, 1, key("turn", name), min_gap_seconds * 1000))
    return wait_ms / 1000
