"""A real hub for the browser: gunicorn (gevent) web, a Dramatiq worker process, the emulator.

The servers live for the whole session; every test makes its own company, channel and
browser context, since the harness empties the tables between tests.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from connectors.emulators import EmulatorServer

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@pytest.fixture(scope="package")
def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.skip("Debian's chromium is not installed (run `hub install-browser`)")
    return path


@pytest.fixture(scope="package")
def hub_url(hub_env, chromium_path, tmp_path_factory) -> str:
    """A real hub web server (gunicorn, gevent) and a real worker process on the test DB/Redis.

    Package scope: the worker must be gone before other suites run in the same session, or it
    would take their queued jobs (tests/web snapshots the tables around API calls).
    """
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(hub_env, PORT=str(port), HUB_PUBLIC_URL=url, PYTHONUNBUFFERED="1")
    logs = tmp_path_factory.mktemp("hub-logs")
    web_log = open(logs / "web.log", "wb")
    worker_log = open(logs / "worker.log", "wb")
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--worker-class", "gevent", "--workers", "1",
         "--bind", f"127.0.0.1:{port}", "--timeout", "60", "web.wsgi:app"],
        cwd=ROOT, env=env, stdout=web_log, stderr=subprocess.STDOUT)
    worker = subprocess.Popen(
        [sys.executable, "-m", "dramatiq", "workers.actors", "--processes", "1", "--threads", "4"],
        cwd=ROOT, env=env, stdout=worker_log, stderr=subprocess.STDOUT)
    try:
        _wait_http(f"{url}/login", web)
        yield url
    finally:
        _stop(web)
        _stop(worker)
        web_log.close()
        worker_log.close()
        if os.environ.get("HUB_BROWSER_LOGS"):
            for name in ("web.log", "worker.log"):
                sys.stderr.write(f"--- {name}\n{(logs / name).read_text(errors='replace')[-6000:]}\n")


@pytest.fixture(scope="package")
def emulator():
    server = EmulatorServer().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _reset_emulator(emulator):
    emulator.state.reset()
    yield


@pytest.fixture(scope="package")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def new_page(browser):
    """new_page(width, height, color_scheme) -> a page in a fresh context, with its console kept."""
    contexts = []

    def make(width: int = 1280, height: int = 800, color_scheme: str = "light"):
        ctx = browser.new_context(viewport={"width": width, "height": height},
                                  color_scheme=color_scheme)
        contexts.append(ctx)
        page = ctx.new_page()
        page.console_errors = []
        page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
        page.on("pageerror", lambda e: page.console_errors.append(str(e)))
        return page

    yield make
    for ctx in contexts:
        ctx.close()


@pytest.fixture(scope="package")
def hub_routes() -> set[str]:
    """The URL rules this checkout serves (lanes merge one by one)."""
    from web import create_app

    return {rule.rule for rule in create_app({"TESTING": True}).url_map.iter_rules()}


@pytest.fixture
def require_routes(hub_routes):
    """require_routes("/webhooks/", ...): skip, naming what is missing, until those lanes land."""

    def check(*prefixes: str) -> None:
        missing = [p for p in prefixes if not any(r.startswith(p) for r in hub_routes)]
        if missing:
            pytest.skip(f"this checkout does not serve {', '.join(missing)} yet "
                        "(its lane is not merged)")

    return check


@pytest.fixture(scope="package")
def screenshots(tmp_path_factory) -> Path:
    """Where the tests save their screenshots: the README's folder with
    HUB_UPDATE_SCREENSHOTS=1, a temporary one otherwise (a test run leaves the checkout clean;
    the pages are drawn and saved either way)."""
    if os.environ.get("HUB_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")
