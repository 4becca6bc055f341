"""The web servers under test: `hub web`'s gunicorn settings for the hub and the bare app."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from hub.supervisor import die_with_parent

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_command(app: str, port: int, workers: int) -> list[str]:
    """The same server settings as `hub web` (gevent, worker connections, timeouts)."""
    return [sys.executable, "-m", "gunicorn", "--worker-class", "gevent", "--workers",
            str(workers), "--worker-connections", "4000", "--bind", f"127.0.0.1:{port}",
            "--graceful-timeout", "10", "--timeout", "60", app]


def _log(env: dict, name: str):
    """stderr of a child into the run's data dir (errors of a run stay inspectable)."""
    return open(Path(env["HUB_DATA_DIR"]) / f"{name}.log", "ab")


def start_server(app: str, port: int, workers: int, env: dict) -> subprocess.Popen:
    with _log(env, app.split(":")[0]) as log:
        proc = subprocess.Popen(server_command(app, port, workers), env=env, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=log,
                                preexec_fn=die_with_parent)
    for _ in range(300):
        if proc.poll() is not None:
            raise RuntimeError(f"{app} exited at start")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{app} did not start")


def start_workers(env: dict, processes: int, threads: int) -> subprocess.Popen:
    """Real Dramatiq workers, as `hub worker` runs them."""
    with _log(env, "workers") as log:
        return subprocess.Popen([sys.executable, "-m", "dramatiq", "workers.actors",
                                 "--processes", str(processes), "--threads", str(threads)],
                                env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log,
                                preexec_fn=die_with_parent)


def stop(proc: subprocess.Popen) -> None:
    """Stop a server or worker group we started (its own session), waiting for it."""
    if proc.poll() is None:
        os.killpg(proc.pid, 15)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.wait()
