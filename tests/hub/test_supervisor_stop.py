"""Stopping the roles: each process of a role is asked to stop once, by its own parent."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from hub.supervisor import RoleProcess, Supervisor

# A role's main process that, like gunicorn's master or Dramatiq's main process, passes a
# SIGTERM on to its worker; each process writes down every signal it receives.
ROLE = r"""
import signal, subprocess, sys, time
log = sys.argv[1]

def noted(who):
    with open(log, "a") as f:
        f.write(who + "\n")

if sys.argv[2:] == ["worker"]:  # note each SIGTERM; leave a moment after the first
    signal.signal(signal.SIGTERM, lambda signum, frame: noted("worker"))
    open(log + ".ready", "w").close()
    while "worker" not in open(log).read():
        time.sleep(0.05)
    time.sleep(0.3)  # a second signal, if one comes, arrives meanwhile
else:
    worker = subprocess.Popen([sys.executable, __file__, log, "worker"])

    def main_term(signum, frame):
        noted("main")
        worker.send_signal(signal.SIGTERM)
        worker.wait()
        sys.exit(0)

    signal.signal(signal.SIGTERM, main_term)
    while True:
        time.sleep(0.1)
"""


def test_stop_signals_each_role_once_and_its_workers_through_it(tmp_path):
    script = tmp_path / "role.py"
    script.write_text(ROLE)
    log = tmp_path / "signals.log"
    log.write_text("")
    supervisor = Supervisor(env={"PATH": "/usr/bin:/bin"})
    supervisor.start(RoleProcess("worker", [sys.executable, str(script), str(log)]))
    ready = Path(str(log) + ".ready")
    deadline = time.monotonic() + 10
    while not ready.exists():
        assert time.monotonic() < deadline, "the role did not start its worker"
        time.sleep(0.05)
    # When the supervisor stops its roles
    supervisor.stop()
    # Then the main process got one SIGTERM and its worker one, passed on by the main process
    assert sorted(log.read_text().split()) == ["main", "worker"]


# A parent that starts one child the way `hub up` and the benchmarks do, prints its pid, waits.
PARENT = r"""
import subprocess, sys, time
from hub.supervisor import die_with_parent
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"],
                         preexec_fn=die_with_parent)
print(child.pid, flush=True)
time.sleep(120)
"""


def test_a_child_does_not_outlive_a_parent_killed_outright():
    """SIGKILL runs no cleanup in the parent: the kernel must stop its children (a benchmark
    killed this way used to leave its gunicorn and Dramatiq worker running)."""
    import subprocess

    import psutil

    root = str(Path(__file__).resolve().parents[2])
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True,
                              cwd=root)
    child = psutil.Process(int(parent.stdout.readline()))
    assert child.is_running()
    parent.kill()
    parent.wait()
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            if child.status() == psutil.STATUS_ZOMBIE:
                break
        except psutil.NoSuchProcess:
            break
        time.sleep(0.05)
    else:
        child.kill()
        raise AssertionError("the child outlived its killed parent")
