"""The per-process fan-out: one Redis subscription, each event to its company's local sockets.

Every web process holds one pub/sub subscription (a greenlet under gevent, a thread
otherwise). An event goes only to the sockets of its company (an index company -> sockets).
Events already received together (those one job published at once) are dispatched together,
so a socket gets them in one write. The dispatcher writes straight to a socket whose kernel
buffer takes the events at once; otherwise they go into the socket's bounded queue, which the
socket's own sender drains, so a slow or dead client fills only its own queue and is dropped
when it is full (it reconnects with `lastEventId` and catches up). A presence loop keeps this
process's sockets counted and sweeps idle agents.
"""
from __future__ import annotations

import json
import logging
import queue
import socket
import threading
import time
import uuid
from collections import defaultdict
from typing import Any, Optional

import gevent.socket

from hub import presence
from hub.db import connection
from hub.realtime import fanout_channel
from hub.redis_client import get_redis
from hub.settings import get_settings
from web.socket_filter import Viewer

log = logging.getLogger("web.realtime")

# Events queued for one socket before it counts as too slow and is dropped.
QUEUE_SIZE = 256
# Live events held while a socket replays its history; beyond this it is dropped.
PENDING_MAX = 2000
# Queued events a sender writes at once at the most (one write, a few frames).
SEND_BATCH = 32
# Published events the dispatcher takes at once at the most (those already received).
DISPATCH_BATCH = 64
_CLOSE = object()  # tells a sender to stop
_FLUSH = object()  # tells a sender to write the tail of a frame the dispatcher began


class WholeSends:
    """A socket whose `send` writes everything, one frame at a time.

    simple-websocket writes frames with `sock.send`, which under gevent may write part of a
    large frame and return; the rest would be lost. Here each frame goes out whole, and the
    ping thread cannot slip a frame into the middle of another.

    `send_now` is the dispatcher's way in: it writes what the kernel takes at once, never
    waits, and keeps the rest as a tail that the next `send` writes first.
    """

    def __init__(self, sock: Any):
        self._sock = sock
        self._lock = threading.Lock()
        self._tail = b""
        # The non-blocking OS socket under a gevent socket (None elsewhere: no `send_now`).
        self._raw = sock._sock if isinstance(sock, gevent.socket.socket) else None

    def send(self, data: bytes) -> int:
        with self._lock:
            # `send` until all is written rather than `sendall`: gevent's `sendall` asks the
            # kernel for the send buffer size (a system call) on every call, and a frame
            # almost always goes out in one `send`.
            view = memoryview(self._tail + data if self._tail else data)
            self._tail = b""
            while view:
                view = view[self._sock.send(view):]
        return len(data)

    def send_now(self, data: bytes) -> Optional[bool]:
        """Write `data` without waiting; None if that is not possible now (a send is under
        way, a tail is left, no raw socket), else whether a tail is left for `send`."""
        if self._raw is None or self._tail or not self._lock.acquire(blocking=False):
            return None
        try:
            try:
                sent = self._raw.send(data)
            except BlockingIOError:  # the client's buffer is full
                sent = 0
            self._tail = data[sent:]
            return bool(self._tail)
        finally:
            self._lock.release()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class Connection:
    """One socket: its viewer, its outbound queue and its sender."""

    def __init__(self, ws: Any, viewer: Viewer, track_presence: bool = True):
        ws.sock = WholeSends(ws.sock)
        self.ws = ws
        self.viewer = viewer
        self.socket_id = uuid.uuid4().hex
        self.track_presence = track_presence
        # Set once presence counts this socket: the keep-alive never announces a socket
        # before its first activity is recorded (a sweep would have called its user away).
        self.counted = False
        self.last_sent = 0
        self.closed = False
        self._live = False
        self._pending: list[dict[str, Any]] = []
        self._queue: queue.Queue = queue.Queue(maxsize=QUEUE_SIZE)
        self._sending = False  # the sender holds events taken from the queue
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()

    @property
    def company_id(self) -> str:
        return self.viewer.company_id

    def offer(self, events: list[dict[str, Any]]) -> None:
        """Called by the dispatcher with events of this socket's company, in order: never
        blocks; drops this client if it cannot keep up."""
        # Addressed to someone else (a notification for one agent, say): a queue slot and a
        # wake-up of this socket's sender for an event it would not send.
        events = [event for event in events if self.viewer.in_audience(event)]
        if not events:
            return
        with self._lock:
            if self.closed:
                return
            if not self._live:
                if len(self._pending) + len(events) > PENDING_MAX:
                    self.drop("catch-up too slow")
                else:
                    self._pending.extend(events)
                return
            if not self._queue.queue and not self._sending and self._send_now(events):
                return
            for event in events:
                try:
                    self._queue.put_nowait(event)
                except queue.Full:
                    self.drop("outbound queue full")
                    return

    def _send_now(self, events: list[dict[str, Any]]) -> bool:
        """Write `events` from the dispatcher, in one write; False if they must go through the
        queue.

        Waking this socket's sender for each frame (a queue, two greenlet switches) cost more
        than the write itself. Only when nothing is queued or being sent (order), only for
        viewers whose filter never reads the database (the dispatcher must not wait), and
        only what the kernel takes at once: a slow client's rest waits for its sender.
        """
        if self.viewer.restricted or not self.ws.connected:
            return False
        frames = []
        for event in events:
            if event["id"] > self.last_sent:
                frame = self.viewer.frame(event)
                if frame is not None:
                    frames.append(frame)
        last = max(event["id"] for event in events)
        if not frames:
            self.last_sent = max(self.last_sent, last)
            return True
        try:
            tail = self.ws.sock.send_now(frames[0] if len(frames) == 1 else b"".join(frames))
        except OSError:  # a dead peer: its receive loop ends the socket
            self.drop("send failed")
            return True
        if tail is None:
            return False
        self.last_sent = max(self.last_sent, last)
        if tail:
            self._queue.put_nowait(_FLUSH)  # the sender writes the rest
        return True

    def go_live(self) -> None:
        """After the history: queue the events held meanwhile that were not sent, then go live."""
        with self._lock:
            for event in self._pending:
                if event["id"] > self.last_sent:
                    try:
                        self._queue.put_nowait(event)
                    except queue.Full:
                        self.drop("outbound queue full")
                        return
            self._pending = []
            self._live = True
        threading.Thread(target=self._sender, name=f"ws-send-{self.socket_id[:8]}",
                         daemon=True).start()

    def send_event(self, event: dict[str, Any]) -> None:
        """Send one event now if this viewer may see it and it was not sent yet."""
        self._send_frames([self._frame(event)])

    def _frame(self, event: dict[str, Any]) -> Optional[bytes]:
        """The frame to send for `event` (None: not for this viewer, or sent already)."""
        if event["id"] <= self.last_sent:
            return None
        frame = self.viewer.frame(event)
        self.last_sent = event["id"]
        return frame

    def _send_frames(self, frames: list[Optional[bytes]], flush: bool = False) -> None:
        # The same encoded frame goes to every socket of the company: no per-socket JSON or
        # WebSocket encoding. Frames go whole, so replies and pings never interleave. `flush`:
        # write even with no frame, for the tail of one the dispatcher began (`send` writes it
        # first).
        data = b"".join(f for f in frames if f is not None)
        if data or flush:
            if not self.ws.connected:
                raise ConnectionError("socket closed")
            self.ws.sock.send(data)

    def send_text(self, text: str) -> None:
        with self._send_lock:  # replies and events share the socket
            self.ws.send(text)

    def _sender(self) -> None:
        while True:
            events = [self._queue.get()]
            # What was queued meanwhile goes out in the same write: the events of one publish
            # (a conversation and its message) arrive together, and a write (a system call, and
            # a wake-up of this sender) per frame was most of the fan-out's cost. `queue` is
            # the Queue's own deque: looking at it is cheaper than an Empty exception.
            while self._queue.queue and len(events) < SEND_BATCH:
                events.append(self._queue.get_nowait())
            if self.closed or any(event is _CLOSE for event in events):
                return
            self._sending = True  # the dispatcher must not write past these
            try:
                self._send_frames([self._frame(e) for e in events if e is not _FLUSH],
                                  flush=any(e is _FLUSH for e in events))
            except Exception:  # a dead peer: the receive loop ends the socket
                self.drop("send failed")
                return
            finally:
                self._sending = False

    def drop(self, reason: str) -> None:
        """Cut the connection without waiting on the peer (its socket may be stuck)."""
        if not self.closed:
            log.info("dropping socket company=%s user=%s reason=%s", self.company_id,
                     self.viewer.user_id, reason)
        self.closed = True
        try:
            self.ws.sock.shutdown(socket.SHUT_RDWR)  # wakes a send blocked on a full buffer
        except Exception:
            pass
        self.stop_sender()

    def stop_sender(self) -> None:
        self.closed = True
        while True:
            try:
                self._queue.put_nowait(_CLOSE)
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    pass


class FanoutHub:
    """This process's subscription and its index of sockets by company."""

    def __init__(self) -> None:
        self._by_company: dict[str, set[Connection]] = defaultdict(set)
        self._lock = threading.Lock()
        self._started = False
        self._subscribed = threading.Event()
        self._stopping = threading.Event()

    def start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._listen, name="realtime-subscriber", daemon=True).start()
        threading.Thread(target=self._presence_loop, name="realtime-presence",
                         daemon=True).start()
        self._subscribed.wait(timeout=10)

    def stop(self) -> None:
        """Let the threads end quietly: Redis going away next is a shutdown, not an outage."""
        self._stopping.set()

    def add(self, conn: Connection) -> None:
        with self._lock:
            self._by_company[conn.company_id].add(conn)

    def remove(self, conn: Connection) -> None:
        with self._lock:
            sockets = self._by_company.get(conn.company_id)
            if sockets is not None:
                sockets.discard(conn)
                if not sockets:
                    del self._by_company[conn.company_id]

    def count(self) -> int:
        with self._lock:
            return sum(len(s) for s in self._by_company.values())

    def dispatch(self, events: list[dict[str, Any]]) -> None:
        """Hand events to the sockets of their company only; a socket gets its company's
        events of the batch together (in order), so it can write them at once."""
        by_company: dict[Any, list[dict[str, Any]]] = {}
        for event in events:
            by_company.setdefault(event.get("companyId"), []).append(event)
        for company_id, mine in by_company.items():
            with self._lock:
                targets = list(self._by_company.get(company_id, ()))
            for conn in targets:
                conn.offer(mine)

    def _listen(self) -> None:
        while not self._stopping.is_set():
            pubsub = None
            try:
                pubsub = get_redis().pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(fanout_channel())
                self._subscribed.set()
                for message in pubsub.listen():
                    events = _decoded(_with_ready(pubsub, message))
                    try:
                        self.dispatch(events)
                    except Exception:
                        log.exception("realtime events dropped: %s",
                                      [event.get("id") for event in events])
            except Exception:
                if self._stopping.is_set():
                    return
                log.exception("realtime subscription lost; dropping local sockets to resync")
            finally:
                if pubsub is not None:
                    try:
                        pubsub.close()
                    except Exception:
                        pass
            # Events published while unsubscribed are missed here: clients catch up on reconnect.
            self._drop_all("subscription lost")
            time.sleep(1)

    def _drop_all(self, reason: str) -> None:
        with self._lock:
            everyone = [c for s in self._by_company.values() for c in s]
        for conn in everyone:
            conn.drop(reason)

    def local_presence(self) -> list[tuple[str, str]]:
        with self._lock:
            return [(c.viewer.user_id, c.socket_id) for s in self._by_company.values()
                    for c in s if c.track_presence and c.counted]

    def _presence_loop(self) -> None:
        while not self._stopping.wait(get_settings().presence_sweep_seconds):
            try:
                mine = self.local_presence()
                if mine:
                    presence.keep_alive(mine)
                with connection():
                    presence.sweep({user_id for user_id, _ in mine})
            except Exception:
                log.exception("presence sweep failed")


def _with_ready(pubsub: Any, first: dict[str, Any]) -> list[dict[str, Any]]:
    """`first` and the messages already received behind it, up to `DISPATCH_BATCH`.

    A job publishes the events of one change together (a conversation and its message), and
    they mostly arrive in one read: dispatched together, each socket gets them in one write
    (a system call, and a wake-up of the client) instead of one per event.
    """
    batch = [first]
    while len(batch) < DISPATCH_BATCH:
        more = pubsub.get_message(timeout=0.0)  # what is buffered or readable now, no wait
        if more is None:
            break
        batch.append(more)
    return batch


def _decoded(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    events = []
    for message in messages:
        if message.get("type") != "message":
            continue
        try:
            event = json.loads(message["data"])
        except ValueError:
            log.exception("bad realtime event dropped")
            continue
        if isinstance(event, dict) and isinstance(event.get("id"), int):
            events.append(event)
        else:
            log.error("realtime event without an id dropped: %.200r", message["data"])
    return events


_hub: Optional[FanoutHub] = None
_hub_lock = threading.Lock()


def stop_hub() -> None:
    """Stop this process's hub threads, if it has a hub (before stopping Redis)."""
    if _hub is not None:
        _hub.stop()


def get_hub() -> FanoutHub:
    """This process's hub, started on first use (the first socket)."""
    global _hub
    with _hub_lock:
        if _hub is None:
            _hub = FanoutHub()
    _hub.start()
    return _hub
