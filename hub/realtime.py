"""Publishing realtime events: a per-company history in Redis, and a fan-out channel.

Every event gets an id that increases per company. It is appended to the company's stream
(kept for `HISTORY_SECONDS`, so a reconnecting client can catch up) and published on one
channel that every web process listens to; each process hands it to its own sockets.
"""
from __future__ import annotations

import json
import logging
import time
from typing import Any, Optional

from hub.db import on_commit
from hub.redis_client import get_redis, key

log = logging.getLogger("hub.realtime")

# How long events are kept for catch-up on reconnect (at least an hour, as promised).
HISTORY_SECONDS = 2 * 3600
# Hard cap on events kept per company, whatever their age.
HISTORY_MAX = 100_000

_PUBLISH = """
local id = redis.call('INCR', KEYS[1])
-- Splice the id into the JSON text: a cjson round trip would turn [] into {}.
local encoded = '{"id":' .. id .. ',' .. string.sub(ARGV[1], 2)
redis.call('XADD', KEYS[2], 'MINID', '~', ARGV[2], '*', 'id', id, 'event', encoded)
redis.call('XTRIM', KEYS[2], 'MAXLEN', '~', ARGV[3])
redis.call('PUBLISH', KEYS[3], encoded)
return id
"""


def fanout_channel() -> str:
    return key("rt", "live")


def history_key(company_id: str) -> str:
    return key("rt", "history", company_id)


def counter_key(company_id: str) -> str:
    return key("rt", "seq", company_id)


def _encoded(company_id: str, type: str, data: Any, conversation_id: Optional[str],
             audience: Optional[dict[str, Any]]) -> str:
    event = {
        "type": type,
        "companyId": company_id,
        "conversationId": conversation_id,
        "data": data,
        "ts": time.time(),
    }
    if audience:
        event["audience"] = audience
    return json.dumps(event, default=str)


def _min_id() -> str:
    return f"{int((time.time() - HISTORY_SECONDS) * 1000)}-0"


def publish(company_id: str, type: str, data: Any, *, conversation_id: Optional[str] = None,
            audience: Optional[dict[str, Any]] = None) -> int:
    """Publish an event now; returns its id. `audience` narrows who may see it."""
    return publish_many(company_id, [(type, data, conversation_id, audience)])[0]


# One event of a batch: (type, data, conversation_id, audience).
Event = tuple[str, Any, Optional[str], Optional[dict[str, Any]]]


def publish_many(company_id: str, events: list[Event]) -> list[int]:
    """Publish several events of one company in order, in ONE round trip (a pipeline).

    Each is the same script as `publish` (ids still increase in the listed order); a job that
    stores a message used to pay a round trip per event.
    """
    if not events:
        return []
    pipe = get_redis().pipeline(transaction=False)
    min_id = _min_id()
    for type, data, conversation_id, audience in events:
        pipe.eval(_PUBLISH, 3, counter_key(company_id), history_key(company_id),
                  fanout_channel(), _encoded(company_id, type, data, conversation_id, audience),
                  min_id, HISTORY_MAX)
    return [int(i) for i in pipe.execute()]


def publish_after_commit(company_id: str, type: str, data: Any, **kwargs: Any) -> None:
    """Publish once the current transaction commits: nobody sees a change that rolled back."""

    def send() -> None:
        try:
            publish(company_id, type, data, **kwargs)
        except Exception:  # a live update lost; clients reload on reconnect
            log.exception("realtime publish failed type=%s company=%s", type, company_id)

    on_commit(send)


def publish_many_after_commit(company_id: str, events: list[Event]) -> None:
    """`publish_many` once the current transaction commits."""
    if not events:
        return

    def send() -> None:
        try:
            publish_many(company_id, events)
        except Exception:  # live updates lost; clients reload on reconnect
            log.exception("realtime publish failed types=%s company=%s",
                          [e[0] for e in events], company_id)

    on_commit(send)


def last_event_id(company_id: str) -> int:
    """The id of the company's newest event (0 if none yet)."""
    return int(get_redis().get(counter_key(company_id)) or 0)


def history_since(company_id: str, last_id: int, *, limit: int = 5000) -> Optional[list[dict[str, Any]]]:
    """Events with an id above `last_id`, oldest first; None if the history no longer covers the gap.

    Read newest first in pages until an event at or below `last_id` shows up, so a client that
    missed little costs little whatever the stream's length. More than `limit` missed events
    also answers None: reloading is cheaper than replaying them.
    """
    client = get_redis()
    newest = last_event_id(company_id)
    if last_id >= newest:
        return [] if last_id == newest else None  # an id from the future: a reset history
    found: list[dict[str, Any]] = []
    upper = "+"
    while True:
        page = client.xrevrange(history_key(company_id), max=upper, min="-", count=200)
        for stream_id, fields in page:
            event_id = int(fields[b"id"])
            if event_id <= last_id:
                found.reverse()
                return found
            found.append(json.loads(fields[b"event"]))
            if len(found) > limit:
                return None
        if len(page) < 200:
            break
        upper = "(" + page[-1][0].decode()
    found.reverse()
    # The stream ran out: complete only if its oldest event is the very next one.
    if found and int(found[0]["id"]) == last_id + 1:
        return found
    return None
