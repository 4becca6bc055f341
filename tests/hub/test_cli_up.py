"""`hub up` on the embedded default: healthy within a minute, and Ctrl-C leaves nothing behind."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid: int) -> set[int]:
    """Every process below `pid`, read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except OSError:
        return False


def _up_env(tmp_path, port: int) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")}
    env.update(HUB_DATA_DIR=str(tmp_path / "data"), PORT=str(port),
               HUB_ADMIN_EMAIL="owner@example.test", HUB_ADMIN_PASSWORD="a long password 1",
               HUB_WEB_WORKERS="1", HUB_WORKER_THREADS="2")
    return env


def _wait_healthy(proc: subprocess.Popen, port: int) -> dict | None:
    started = time.monotonic()
    while time.monotonic() - started < 60 and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                return json.loads(r.read())
        except Exception:
            time.sleep(0.5)
    return None


def _assert_all_gone(pids: set[int], output: str) -> None:
    deadline = time.monotonic() + 10
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [p for p in pids if alive(p)], output


@pytest.mark.slow
def test_hub_up_serves_healthz_and_stops_cleanly(tmp_path):
    port = free_port()
    env = _up_env(tmp_path, port)
    proc = subprocess.Popen([sys.executable, "-m", "hub.cli", "up"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    everyone: set[int] = set()
    try:
        body = _wait_healthy(proc, port)
        # The worker role's two Dramatiq processes (the main one, routing's) each heartbeat
        deadline = time.monotonic() + 30
        while body is not None and body["workers"] < 2 and time.monotonic() < deadline:
            time.sleep(0.5)
            body = _wait_healthy(proc, port)
        assert body == {"status": "ok", "database": "ok", "broker": "ok", "workers": 2}
        assert (tmp_path / "data" / "hub.sqlite3").exists()  # SQLite, no DATABASE_URL
        login = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/auth/login", method="POST",
            data=json.dumps({"email": "owner@example.test",
                             "password": "a long password 1"}).encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(login, timeout=5) as r:
            assert json.loads(r.read())["user"]["role"] == "admin"
        everyone = descendants(proc.pid)
        assert len(everyone) >= 5  # redis, gunicorn master + worker, 2 dramatiq, scheduler
    finally:
        proc.send_signal(signal.SIGINT)
        output = proc.communicate(timeout=40)[0]
    assert proc.returncode == 0, output
    # Each role stopped gracefully: no Dramatiq worker process took a second signal as "kill"
    assert "Killing worker process" not in output, output
    _assert_all_gone(everyone, output)


@pytest.mark.slow
def test_a_second_ctrl_c_while_stopping_kills_the_rest_without_a_traceback(tmp_path):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "hub.cli", "up"], env=_up_env(tmp_path, port),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    everyone: set[int] = set()
    try:
        assert _wait_healthy(proc, port) is not None
        everyone = descendants(proc.pid)
    finally:
        proc.send_signal(signal.SIGINT)
        time.sleep(0.3)  # stopping has begun: an impatient second Ctrl-C
        proc.send_signal(signal.SIGINT)
        output = proc.communicate(timeout=40)[0]
    assert "Traceback" not in output, output
    assert proc.returncode == 0, output
    _assert_all_gone(everyone, output)
