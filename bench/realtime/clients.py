"""One bench client process: holds its share of agent sockets and a bare Redis subscriber.

Run by the bench as `python -m bench.realtime.clients <spec.json>`. It prints `connected N`
once every socket got its `ready`, records each bench `message.created` it receives (and each
baseline pub/sub message), reconnects dropped sockets with `lastEventId`, and on `stop` (a line
on stdin) writes its records to the spec's output file.
"""
from gevent import monkey

monkey.patch_all()

import json  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import gevent  # noqa: E402
import psutil  # noqa: E402
import redis  # noqa: E402
import websocket  # noqa: E402

# Sockets opened per second by one client process (a ramp, not a connection storm).
OPEN_PER_SECOND = 150
# Bytes read from a socket at once: the frames the server wrote meanwhile, in one system call.
READ_SIZE = 65536
# The head of an agent event frame (web.socket_filter writes `event`, `type`, `id` first). Only
# `message.created` frames are decoded whole: decoding each conversation update (1-2 KB of
# JSON) to read its id was most of what the clients spent. A frame of another shape (`ready`,
# `reload`, or a changed layout) does not match and is decoded whole.
OTHER_EVENT = re.compile(rb'\{"event": "[^"]*", "type": "([^"]*)", "id": (\d+),')
HEAD_BYTES = 200


class Frames:
    """The text messages of a connected websocket-client socket, read in bulk.

    websocket-client reads each frame with two or three system calls and a lot of Python (the
    header, the length, then the payload): on this bench's one machine the receiving clients
    cost as much CPU as the web process serving them, and took it from the hub. The server's
    frames are unmasked; pings are answered (the server drops a socket that stops answering).
    wsproto's FrameProtocol (installed with simple-websocket) would parse the same bytes, at
    about 6 us a frame against 1 us here (1.3 KB frames, 64 KB reads), and would still hand
    back partial frames to join.
    """

    def __init__(self, ws: websocket.WebSocket):
        self.ws = ws
        self.buffer = bytearray()
        self.parts: list[bytes] = []  # a fragmented message's frames so far

    def messages(self):
        """Yield each text message as bytes until the connection closes."""
        while True:
            chunk = self.ws.sock.recv(READ_SIZE)
            if not chunk:
                raise ConnectionError("closed by the server")
            self.buffer += chunk
            yield from self._complete()

    def _complete(self):
        buffer, start = self.buffer, 0
        while len(buffer) - start >= 2:
            opcode, fin = buffer[start] & 0x0F, buffer[start] & 0x80
            length, offset = buffer[start + 1] & 0x7F, start + 2
            if length == 126:
                if len(buffer) - offset < 2:
                    break
                length, offset = int.from_bytes(buffer[offset:offset + 2], "big"), offset + 2
            elif length == 127:
                if len(buffer) - offset < 8:
                    break
                length, offset = int.from_bytes(buffer[offset:offset + 8], "big"), offset + 8
            if len(buffer) - offset < length:
                break
            payload, start = bytes(buffer[offset:offset + length]), offset + length
            if opcode == 0x9:
                self.ws.pong(payload)
            elif opcode == 0x8:
                raise ConnectionError("closed by the server")
            elif opcode in (0x0, 0x1, 0x2):
                self.parts.append(payload)
                if fin:
                    yield b"".join(self.parts)
                    self.parts = []
        del buffer[:start]


class Holder:
    """The sockets of this process and what they received."""

    def __init__(self, spec: dict):
        self.spec = spec
        self.records: list[tuple[int, int, float, float, float]] = []  # seq, socket, recv, sent, ts
        self.direct: list[tuple[int, int, float, float]] = []  # seq, socket, recv, ts
        self.ready = 0
        self.connects = 0
        self.failures = 0
        self.reloads = 0
        self.stopping = False

    def hold(self, index: int, token: str) -> None:
        """Keep socket `index` open; on a drop, reconnect from the last event id seen."""
        last_id = None
        counted = False
        while not self.stopping:
            url = f"ws://127.0.0.1:{self.spec['port']}/ws?token={token}"
            if last_id is not None:
                url += f"&lastEventId={last_id}"
            try:
                # No UTF-8 check in Python per frame (websocket-client's fallback walks every
                # byte): the bench measures the hub, not the receiving client's CPU.
                ws = websocket.create_connection(url, timeout=None, enable_multithread=False,
                                                 skip_utf8_validation=True)
            except Exception:
                self.failures += 1
                gevent.sleep(1)
                continue
            self.connects += 1
            try:
                for text in Frames(ws).messages():
                    if self.stopping:
                        break
                    head = OTHER_EVENT.match(text, 0, HEAD_BYTES)
                    if head is not None and head.group(1) != b"message.created":
                        last_id = int(head.group(2))  # all a reconnect needs of it
                        continue
                    frame = json.loads(text)
                    kind = frame.get("type")
                    if kind in ("ready", "reload"):
                        last_id = frame["lastEventId"]
                        self.reloads += kind == "reload"
                        if kind == "ready" and not counted:
                            counted = True
                            self.ready += 1
                        continue
                    if isinstance(frame.get("id"), int):
                        last_id = frame["id"]
                    if kind == "message.created":
                        content = (frame.get("data") or {}).get("content") or ""
                        if content.startswith("bench "):
                            _, seq, sent = content.split()
                            self.records.append((int(seq), index, time.time(), float(sent),
                                                 frame.get("ts") or 0.0))
                        elif content.startswith("direct "):
                            self.direct.append((int(content.split()[1]), index, time.time(),
                                                frame.get("ts") or 0.0))
            except Exception:
                if not self.stopping:
                    self.failures += 1
            finally:
                ws.close()

    def baseline(self) -> list[tuple[int, float, float]]:
        """Bare Redis pub/sub: (seq, received, sent) for every baseline message."""
        received: list[tuple[int, float, float]] = []
        pubsub = redis.Redis.from_url(self.spec["redis_url"]).pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(self.spec["baseline_channel"])

        def listen() -> None:
            for message in pubsub.listen():
                seq, sent = message["data"].split()
                received.append((int(seq), time.time(), float(sent)))

        gevent.spawn(listen)
        return received

    def tap(self) -> list[tuple[int, float, float]]:
        """The hub's own fan-out channel, read straight from Redis: (seq, received, ts).

        Splits publish -> socket into what Redis (and this client's loop) adds and what the
        web process adds.
        """
        seen: list[tuple[int, float, float]] = []
        pubsub = redis.Redis.from_url(self.spec["redis_url"]).pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(self.spec["live_channel"])

        def listen() -> None:
            for message in pubsub.listen():
                received = time.time()
                event = json.loads(message["data"])
                if event.get("type") != "message.created":
                    continue
                content = (event.get("data") or {}).get("content") or ""
                if content.startswith("bench "):
                    seen.append((int(content.split()[1]), received, event.get("ts") or 0.0))

        gevent.spawn(listen)
        return seen


def main() -> None:
    spec = json.loads(open(sys.argv[1]).read())
    holder = Holder(spec)
    baseline = holder.baseline()
    tapped = holder.tap() if spec.get("tap") else []
    me = psutil.Process()
    for index, token in spec["sockets"]:
        gevent.spawn(holder.hold, index, token)
        gevent.sleep(1 / OPEN_PER_SECOND)
    while holder.ready < len(spec["sockets"]):
        gevent.sleep(0.2)
    print(f"connected {holder.ready}", flush=True)
    me.cpu_percent()
    gevent.get_hub().threadpool.spawn(sys.stdin.readline).get()  # wait for `stop`
    cpu = me.cpu_percent()
    holder.stopping = True
    with open(spec["output"], "w") as out:
        json.dump({"records": holder.records, "direct": holder.direct, "baseline": baseline,
                   "tapped": tapped,
                   "connects": holder.connects,
                   "failures": holder.failures, "reloads": holder.reloads,
                   "cpu_percent": cpu}, out)
    print("done", flush=True)


if __name__ == "__main__":
    main()
