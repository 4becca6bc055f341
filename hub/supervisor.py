"""Running roles as child processes, and stopping every one of them on Ctrl-C or SIGTERM."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

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

    os.setsid()
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def child_setup(nice: int = 0) -> Callable[[], None]:
    """The `preexec_fn` of a role's process: `die_with_parent`, then `nice` added to its
    niceness (inherited by the processes it starts)."""
    def setup() -> None:
        die_with_parent()
        if nice:
            os.nice(nice)
    return setup


@dataclass(frozen=True)
class RoleProcess:
    """One process a role runs: its name in logs, its command line, its niceness."""

    name: str
    command: list[str]
    nice: int = 0


def _dramatiq(processes: int, threads: int, queues: Sequence[str]) -> list[str]:
    return [sys.executable, "-m", "dramatiq", "workers.actors", "--processes", str(processes),
            "--threads", str(threads), "--queues", *queues]


def role_processes(role: str, settings) -> list[RoleProcess]:
    """The processes of one role.

    The worker role is two Dramatiq commands: the main one serves every queue but routing, and
    a routing one serves `hub.jobs.ROUTING_QUEUE` at `settings.routing_nice`. Why: a message
    that opens a conversation also costs a routing job (the company locked, the candidates
    counted, an assignment, a notification and two more events). In the inbound queue these
    jobs waited in line with the messages, and ran in the same process; when the machine is
    full (bench.realtime at 200 messages/s, half of them opening a conversation, on 2 cores)
    every customer message waited behind them: POST-to-socket p99 1.4-1.5 s. With routing in a
    process of its own the p99 was 490 ms; at niceness 19, 289-476 ms with two threads and
    133-322 ms with one (`settings.routing_threads`), the kernel giving the messages, the web
    process and the database the CPU first. Each conversation was assigned 7-16 s after its
    first message (2-5 s with two threads), all of them by the end of the run. Under a load the machine cannot carry for long, assignment
    is what waits, and the conversations wait visibly unassigned in the inbox.
    """
    python = sys.executable
    if role == "web":
        return [RoleProcess("web", [
            python, "-m", "gunicorn", "--worker-class", "gevent",
            "--workers", str(settings.web_workers), "--worker-connections", "4000",
            "--bind", f"0.0.0.0:{settings.port}", "--graceful-timeout", "10",
            "--timeout", "60", "--access-logfile", "-", "--access-logformat",
            'access method=%(m)s path="%(U)s" status=%(s)s ms=%(M)s', "web.wsgi:app"])]
    if role == "worker":
        from hub.jobs import MAIN_QUEUES, ROUTING_QUEUE

        return [RoleProcess("worker", _dramatiq(settings.worker_processes,
                                                settings.worker_threads, MAIN_QUEUES)),
                RoleProcess("routing", _dramatiq(1, settings.routing_threads, [ROUTING_QUEUE]),
                            settings.routing_nice)]
    if role == "scheduler":
        return [RoleProcess("scheduler", [python, "-m", "hub.cli", "scheduler"])]
    raise ValueError(role)


class Supervisor:
    """Starts roles, watches them, and stops them all together."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.children: dict[str, subprocess.Popen] = {}
        self._stopping = False

    def start(self, process: RoleProcess) -> None:
        self.children[process.name] = subprocess.Popen(process.command, env=self.env,
                                                       preexec_fn=child_setup(process.nice))
        log.info("started role=%s pid=%s nice=%s", process.name,
                 self.children[process.name].pid, process.nice)

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
