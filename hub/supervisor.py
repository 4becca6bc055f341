"""Running roles as child processes, and stopping every one of them on Ctrl-C or SIGTERM."""
from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from typing import Optional

log = logging.getLogger("hub.supervisor")

# Seconds a role gets to stop after SIGTERM before it is killed.
STOP_GRACE = 15


def die_with_parent() -> None:
    """`preexec_fn` of a child that must not outlive its parent (Linux): its own session, and
    SIGTERM when the parent dies, even by SIGKILL.

    The session: Ctrl-C in a terminal signals the whole foreground group, but a child such as
    the embedded Redis must outlive the roles while they finish; and a kill of the child's
    group reaches its own workers too. Used by `hub up` for its roles and its Redis, and by
    the benchmarks for the servers and workers they start.
    """
    import ctypes
    import os

    os.setsid()
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def role_command(role: str, settings) -> list[str]:
    """The command line of one role."""
    python = sys.executable
    if role == "web":
        return [python, "-m", "gunicorn", "--worker-class", "gevent",
                "--workers", str(settings.web_workers), "--worker-connections", "4000",
                "--bind", f"0.0.0.0:{settings.port}", "--graceful-timeout", "10",
                "--timeout", "60", "--access-logfile", "-", "--access-logformat",
                'access method=%(m)s path="%(U)s" status=%(s)s ms=%(M)s', "web.wsgi:app"]
    if role == "worker":
        return [python, "-m", "dramatiq", "workers.actors",
                "--processes", str(settings.worker_processes),
                "--threads", str(settings.worker_threads)]
    if role == "scheduler":
        return [python, "-m", "hub.cli", "scheduler"]
    raise ValueError(role)


class Supervisor:
    """Starts roles, watches them, and stops them all together."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.children: dict[str, subprocess.Popen] = {}
        self._stopping = False

    def start(self, role: str, command: list[str]) -> None:
        self.children[role] = subprocess.Popen(command, env=self.env,
                                               preexec_fn=die_with_parent)
        log.info("started role=%s pid=%s", role, self.children[role].pid)

    def install_signal_handlers(self) -> None:
        def handler(signum, frame):
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    def wait(self) -> Optional[str]:
        """Block until a role exits on its own (returns its name) or Ctrl-C (returns None)."""
        try:
            while True:
                for role, proc in self.children.items():
                    if proc.poll() is not None:
                        log.error("role=%s exited with code %s", role, proc.returncode)
                        return role
                time.sleep(0.5)
        except KeyboardInterrupt:
            return None

    def stop(self) -> None:
        if self._stopping:
            return
        self._stopping = True
        import os

        # SIGTERM to each role's main process only: gunicorn's master and Dramatiq's main
        # process pass it on to their own workers. A signal to the whole group reached those
        # workers twice (once directly, once passed on), and a Dramatiq worker process takes a
        # second signal as "kill now": jobs in flight were cut off instead of finishing.
        for proc in self.children.values():
            if proc.poll() is None:
                try:
                    os.kill(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + STOP_GRACE
        for role, proc in self.children.items():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("role=%s did not stop in time; killing it", role)
            except KeyboardInterrupt:  # Ctrl-C again while stopping: no more grace for anyone
                log.warning("stopping now: killing the roles still running")
                deadline = time.monotonic()
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of its group
            except ProcessLookupError:
                pass
            proc.wait()
