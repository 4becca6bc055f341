"""The `hub` command: `up`, `web`, `worker`, `scheduler`, `migrate` and operator tools."""
from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import time
import urllib.request

from hub.runtime import Runtime

log = logging.getLogger("hub.cli")

# Seconds `hub up` waits for /healthz before giving up.
UP_TIMEOUT = 90


def _logging() -> None:
    logging.basicConfig(level=os.environ.get("HUB_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")


def cmd_migrate(args) -> int:
    from hub.migrations import migrate

    runtime = Runtime()
    runtime.start()
    try:
        applied = migrate()
        print(f"migrations applied: {', '.join(applied) or 'none (up to date)'}")
    finally:
        runtime.stop()
    return 0


def _bootstrap(runtime: Runtime) -> None:
    from hub.companies import ensure_first_admin
    from hub.db import connection
    from hub.migrations import migrate

    migrate()
    with connection():
        created = ensure_first_admin(runtime.settings.admin_email,
                                     runtime.settings.admin_password)
    if created:
        email, generated = created
        print(f"First admin: {email}" + (f"  password: {generated}  (shown once)"
                                          if generated else ""), flush=True)


def _wait_healthy(url: str, supervisor) -> bool:
    deadline = time.monotonic() + UP_TIMEOUT
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in supervisor.children.values()):
            return False
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return True
        except Exception:
            pass
        time.sleep(0.5)
    return False


def _supervise(roles: list[str], bootstrap: bool) -> int:
    from hub.supervisor import Supervisor, role_processes

    runtime = Runtime()
    settings = runtime.start()
    supervisor = Supervisor(runtime.child_env())
    supervisor.install_signal_handlers()
    try:
        if bootstrap:
            _bootstrap(runtime)
        for role in roles:
            for process in role_processes(role, settings):
                supervisor.start(process)
        if "web" in roles:
            local = f"http://127.0.0.1:{settings.port}"
            if _wait_healthy(local, supervisor):
                print(f"Hub running at {settings.public_url}  (inbox: {settings.public_url}/chat)"
                      "  Ctrl-C stops it.", flush=True)
            else:
                print("The hub did not become healthy; stopping.", file=sys.stderr)
                return 1
        failed = supervisor.wait()
        return 1 if failed else 0
    except KeyboardInterrupt:
        return 0
    finally:
        print("Stopping...", flush=True)
        supervisor.stop()
        runtime.stop()


def cmd_up(args) -> int:
    return _supervise(["web", "worker", "scheduler"], bootstrap=True)


def _role(role: str) -> int:
    """One role. With an external Redis, a role of one process replaces this process, as a
    Procfile expects; a role of several (the worker) runs them under a supervisor, which
    passes SIGTERM on and stops them together."""
    from hub.settings import load_settings
    from hub.supervisor import role_processes

    settings = load_settings()
    processes = role_processes(role, settings)
    if settings.redis_url and len(processes) == 1 and not processes[0].nice:
        os.execv(processes[0].command[0], processes[0].command)
    return _supervise([role], bootstrap=False)


def cmd_web(args) -> int:
    return _role("web")


def cmd_worker(args) -> int:
    return _role("worker")


def cmd_scheduler(args) -> int:
    runtime = Runtime()
    runtime.start()
    try:
        from workers.scheduler import run_scheduler

        run_scheduler()
    except KeyboardInterrupt:
        pass
    finally:
        runtime.stop()
    return 0


def cmd_install_browser(args) -> int:
    """Install Debian's Chromium for the browser tests (needs root or sudo)."""
    if shutil.which("chromium"):
        print(f"chromium present: {shutil.which('chromium')}")
        return 0
    prefix = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.check_call(prefix + ["apt-get", "update", "-qq"], env=env)
    subprocess.check_call(prefix + ["apt-get", "install", "-y", "-qq", "chromium"], env=env)
    print(f"chromium installed: {shutil.which('chromium')}")
    return 0


def cmd_emulator(args) -> int:
    from connectors.emulators.server import main as emulator_main

    return emulator_main(["--port", str(args.port)]) or 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hub", description="Omnichannel messaging hub")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="run web, workers and scheduler on this machine").set_defaults(
        func=cmd_up)
    sub.add_parser("web", help="run the web role (gunicorn + gevent)").set_defaults(func=cmd_web)
    sub.add_parser("worker", help="run the Dramatiq workers").set_defaults(func=cmd_worker)
    sub.add_parser("scheduler", help="run the scheduler").set_defaults(func=cmd_scheduler)
    sub.add_parser("migrate", help="apply schema migrations").set_defaults(func=cmd_migrate)
    sub.add_parser("install-browser", help="install Chromium for the browser tests").set_defaults(
        func=cmd_install_browser)
    emulator = sub.add_parser("emulator", help="run the local provider emulator")
    emulator.add_argument("--port", type=int, default=5055)
    emulator.set_defaults(func=cmd_emulator)
    for extend in _extensions():
        extend(sub)
    return parser


def _extensions():
    """Commands of other modules (archiving, erasure), registered as they exist."""
    import importlib

    for name in ("hub.cli_data",):
        try:
            yield importlib.import_module(name).register
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise


def main(argv=None) -> int:
    _logging()
    args = build_parser().parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
