"""Per-process hand-off of visitor events from Redis to this process's visitor sockets.

One listener thread (a greenlet under gevent) per web process subscribes to the widget fan-out
channel and to the hub's realtime channel; each event goes to the queues of the matching local
sockets only: by visitor for replies, by conversation for agents' typing.
"""
from __future__ import annotations

import json
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from connectors.widget.live import visitor_channel
from hub.realtime import fanout_channel
from hub.redis_client import get_redis

log = logging.getLogger("hub.widget.live")

# Events a slow visitor socket may have waiting before the oldest are dropped.
QUEUE_SIZE = 200


@dataclass(eq=False)
class VisitorSocket:
    channel_id: str
    visitor_id: str
    conversation_ids: set[str] = field(default_factory=set)
    events: queue.Queue = field(default_factory=lambda: queue.Queue(QUEUE_SIZE))

    def put(self, event: dict[str, Any]) -> None:
        try:
            self.events.put_nowait(event)
        except queue.Full:  # the client reloads its thread on reconnect
            log.warning("visitor socket queue full visitor=%s", self.visitor_id)


class VisitorHub:
    """The sockets of this process, and the thread feeding them."""

    def __init__(self) -> None:
        self._sockets: set[VisitorSocket] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.ready = threading.Event()
        self._stopping = threading.Event()

    def stop(self) -> None:
        """Let the listener end quietly: Redis going away next is a shutdown, not an outage."""
        self._stopping.set()

    def register(self, sock: VisitorSocket) -> None:
        with self._lock:
            self._sockets.add(sock)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._listen, name="widget-live",
                                                daemon=True)
                self._thread.start()
        self.ready.wait(5)

    def unregister(self, sock: VisitorSocket) -> None:
        with self._lock:
            self._sockets.discard(sock)

    def dispatch(self, channel: str, event: dict[str, Any]) -> None:
        with self._lock:
            sockets = list(self._sockets)
        if channel == visitor_channel():
            for s in sockets:
                if s.visitor_id == event.get("visitorId") and s.channel_id == event.get("channelId"):
                    s.put(event)
            return
        data = event.get("data") or {}
        # Agents' typing (the realtime lane's shape); the visitor's own typing is not echoed.
        if event.get("type") == "typing" and data.get("senderType") != "customer":
            for s in sockets:
                if event.get("conversationId") in s.conversation_ids:
                    s.put({"type": "typing", "data": {"typing": bool(data.get("isTyping")),
                                                      "name": data.get("userName")}})
            return
        # An agent read the visitor's message: the widget shows it "Seen". Reads an agent keeps
        # private (privacy.readReceipts off) carry an agents-only audience and stay inside.
        if (event.get("type") == "message.updated" and data.get("direction") == "in"
                and data.get("status") == "read" and not event.get("audience")):
            for s in sockets:
                if event.get("conversationId") in s.conversation_ids:
                    s.put({"type": "seen", "messageId": data.get("id")})

    def _listen(self) -> None:
        delay = 0.5
        while not self._stopping.is_set():
            try:
                pubsub = get_redis().pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(visitor_channel(), fanout_channel())
                self.ready.set()
                delay = 0.5
                for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    channel = message["channel"]
                    channel = channel.decode() if isinstance(channel, bytes) else channel
                    try:
                        self.dispatch(channel, json.loads(message["data"]))
                    except (ValueError, TypeError):
                        log.warning("bad event on %s", channel)
            except Exception:  # Redis restarted: resubscribe; sockets catch up on reconnect
                if self._stopping.is_set():
                    return
                log.warning("widget live listener lost Redis; retrying in %.1fs", delay)
                time.sleep(delay)
                delay = min(delay * 2, 10)


hub = VisitorHub()


def stop_hub() -> None:
    """Stop this process's listener (before stopping Redis)."""
    hub.stop()
