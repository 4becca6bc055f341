"""Real gunicorn web processes (gevent workers) and WebSocket clients against them."""
from __future__ import annotations

import json
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Optional

import pytest
import requests
import websocket

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebProcess:
    """`gunicorn --worker-class gevent web.wsgi:app` on a free port."""

    def __init__(self, env: dict[str, str]):
        self.port = free_port()
        self.url = f"127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--worker-class", "gevent", "-w", "1",
             "--worker-connections", "1000", "-b", self.url, "web.wsgi:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open("/tmp/rt-web.log", "ab"))
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if requests.get(f"http://{self.url}/healthz", timeout=1).status_code:  # any answer: it is up
                    return
            except requests.RequestException:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("web process did not start; see /tmp/rt-web.log")

    def ws(self, path: str = "/ws", bearer: Optional[str] = None, **params: Any) -> "Client":
        query = "&".join(f"{k}={v}" for k, v in params.items())
        url = f"ws://{self.url}{path}" + (f"?{query}" if query else "")
        header = [f"Authorization: Bearer {bearer}"] if bearer else []
        return Client(websocket.create_connection(url, header=header, timeout=10))

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Client:
    """A WebSocket client that reads JSON frames and reports close codes."""

    def __init__(self, conn: websocket.WebSocket):
        self.conn = conn
        self._ids = 0

    def recv(self, timeout: float = 5) -> dict[str, Any]:
        self.conn.settimeout(timeout)
        opcode, data = self.conn.recv_data(control_frame=True)
        while opcode in (websocket.ABNF.OPCODE_PING, websocket.ABNF.OPCODE_PONG):
            opcode, data = self.conn.recv_data(control_frame=True)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            raise Closed(struct.unpack("!H", data[:2])[0] if len(data) >= 2 else None)
        return json.loads(data)

    def recv_until(self, predicate, timeout: float = 5) -> dict[str, Any]:
        """The first frame matching `predicate` (frames before it are skipped)."""
        deadline = time.time() + timeout
        while True:
            frame = self.recv(max(0.1, deadline - time.time()))
            if predicate(frame):
                return frame

    def ready(self) -> int:
        return self.recv_until(lambda f: f.get("type") == "ready")["lastEventId"]

    def request(self, type_: str, **data: Any) -> dict[str, Any]:
        self._ids += 1
        rid = str(self._ids)
        self.conn.send(json.dumps({"id": rid, "type": type_, "data": data}))
        return self.recv_until(lambda f: f.get("id") == rid and "ok" in f)

    def close_code(self, timeout: float = 5) -> Optional[int]:
        try:
            while True:
                self.recv(timeout)
        except Closed as closed:
            return closed.code

    def close(self) -> None:
        self.conn.close()


class Closed(Exception):
    def __init__(self, code: Optional[int]):
        super().__init__(code)
        self.code = code


@pytest.fixture(scope="package")
def realtime_env(hub_env) -> dict[str, str]:
    env = dict(hub_env)
    env.update(HUB_PRESENCE_AWAY_SECONDS="2", HUB_PRESENCE_SWEEP_SECONDS="1",
               HUB_LOG_LEVEL="INFO", PYTHONPATH=str(ROOT))
    return env


@pytest.fixture(scope="package")
def web_a(realtime_env):
    proc = WebProcess(realtime_env)
    yield proc
    proc.stop()


@pytest.fixture(scope="package")
def web_b(realtime_env):
    proc = WebProcess(realtime_env)
    yield proc
    proc.stop()
