"""Typing indicators: relayed as `typing` events, throttled, and ending on their own.

A client sends typing=true on keystrokes; at most one relay per user and conversation goes out
every `THROTTLE_SECONDS`. Each relayed start carries `expiresAt`: clients hide it after that
time, and the server publishes typing=false itself when no further keystroke came by then
(a closed tab sends no stop).
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any

from hub.realtime import publish
from hub.redis_client import get_redis, key

log = logging.getLogger("hub.typing")

# At most one typing=true relay per user and conversation in this many seconds.
THROTTLE_SECONDS = 2.0
# A typing=true with no keystroke after it ends this long after the last keystroke.
EXPIRE_SECONDS = 6.0

# (user, conversation) pairs with an expiry timer pending in this process.
_timers: dict[tuple[str, str], threading.Timer] = {}
_timers_lock = threading.Lock()


def _throttle_key(user_id: str, conversation_id: str) -> str:
    return key("typing", "throttle", conversation_id, user_id)


def _deadline_key(user_id: str, conversation_id: str) -> str:
    return key("typing", "until", conversation_id, user_id)


def relay_typing(company_id: str, conversation_id: str, user_id: str, is_typing: bool,
                 *, name: str = "", sender_type: str = "agent") -> bool:
    """Relay a typing change; returns whether an event went out (False when throttled)."""
    client = get_redis()
    ident = (user_id, conversation_id)
    if is_typing:
        deadline = time.time() + EXPIRE_SECONDS
        client.set(_deadline_key(*ident), deadline, px=int(EXPIRE_SECONDS * 2000))
        if not client.set(_throttle_key(*ident), 1, nx=True, px=int(THROTTLE_SECONDS * 1000)):
            return False
        _publish(company_id, conversation_id, user_id, True, name, sender_type, deadline)
        _schedule(company_id, conversation_id, user_id, name, sender_type, EXPIRE_SECONDS)
        return True
    was_typing = client.delete(_deadline_key(*ident))
    client.delete(_throttle_key(*ident))
    if not was_typing:
        return False  # nothing shown, nothing to stop
    _publish(company_id, conversation_id, user_id, False, name, sender_type, None)
    return True


def _publish(company_id: str, conversation_id: str, user_id: str, is_typing: bool, name: str,
             sender_type: str, expires_at: float | None) -> None:
    now = time.time()
    data: dict[str, Any] = {
        "userId": user_id,
        "userName": name,
        "senderType": sender_type,
        "conversationId": conversation_id,
        "isTyping": is_typing,
        "timestamp": _iso(now),
        "expiresAt": _iso(expires_at) if expires_at else None,
    }
    publish(company_id, "typing", data, conversation_id=conversation_id)


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch % 1 * 1000):03d}Z"


def _schedule(company_id: str, conversation_id: str, user_id: str, name: str,
              sender_type: str, delay: float) -> None:
    ident = (user_id, conversation_id)
    timer = threading.Timer(delay, _expire, (company_id, conversation_id, user_id, name,
                                             sender_type))
    timer.daemon = True
    with _timers_lock:
        old = _timers.pop(ident, None)
        _timers[ident] = timer
    if old is not None:
        old.cancel()
    timer.start()


def _expire(company_id: str, conversation_id: str, user_id: str, name: str,
            sender_type: str) -> None:
    """At the deadline: stop the indicator unless a later keystroke pushed the deadline on."""
    ident = (user_id, conversation_id)
    with _timers_lock:
        _timers.pop(ident, None)
    try:
        client = get_redis()
        deadline = client.get(_deadline_key(*ident))
        if deadline is None:
            return  # already stopped, here or in another process
        remaining = float(deadline) - time.time()
        if remaining > 0.05:
            _schedule(company_id, conversation_id, user_id, name, sender_type, remaining)
            return
        if client.delete(_deadline_key(*ident)):  # only one process wins the stop
            client.delete(_throttle_key(*ident))
            _publish(company_id, conversation_id, user_id, False, name, sender_type, None)
    except Exception:  # a lost stop; clients still hide the indicator at expiresAt
        log.exception("typing expiry failed conversation=%s", conversation_id)


def cancel_timers() -> None:
    """Cancel this process's pending expiry timers (a process shutting down its Redis).

    A stop they would have published is not lost for clients: they hide the indicator at
    `expiresAt` on their own.
    """
    with _timers_lock:
        pending = list(_timers.values())
        _timers.clear()
    for timer in pending:
        timer.cancel()
