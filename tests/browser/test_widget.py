"""The widget in headless Chromium against a real hub (gunicorn + gevent) and a real worker.

A host page on an authorized origin loads the snippet, fills the pre-chat form and writes; the
conversation is stored by the worker; an agent's reply appears in the widget. The same page on an
origin that is not authorized gets no working widget.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from hub import db as hubdb
from hub.auth import Principal
from hub.models import Conversation, Message
from tests.widget.servers import StaticServer

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up")


@pytest.fixture(scope="module")
def hub_server(hub_env):
    if not CHROMIUM:
        pytest.skip("Debian's chromium is not installed")
    port = _free_port()
    env = {**hub_env, "HUB_PUBLIC_URL": f"http://127.0.0.1:{port}", "PORT": str(port),
           "HUB_WIDGET_VERIFY_SCHEME": "http"}
    web = subprocess.Popen([sys.executable, "-m", "gunicorn", "--worker-class", "gevent",
                            "--workers", "1", "--bind", f"127.0.0.1:{port}", "web.wsgi:app"],
                           env=env, cwd=ROOT, start_new_session=True)
    worker = subprocess.Popen([sys.executable, "-m", "dramatiq", "workers.actors",
                               "--processes", "1", "--threads", "2"], env=env, cwd=ROOT,
                              start_new_session=True)
    try:
        _wait_http(f"http://127.0.0.1:{port}/healthz")
        yield f"http://127.0.0.1:{port}"
    finally:
        for proc in (web, worker):
            proc.terminate()
        for proc in (web, worker):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def _host_page(hub: str, widget_id: str) -> bytes:
    return (f"""<!doctype html><html><head><title>Shop</title>
<style>body {{ font-family: serif; background: #fffbe6; }} iframe {{ outline: 0; }}</style></head>
<body><h1>Chairs &amp; tables</h1><p>Our shop.</p>
<script src="{hub}/widget.js?id={widget_id}" async></script></body></html>""").encode()


def _setup_widget(hub: str, tenant, host: StaticServer) -> dict:
    api = requests.Session()
    api.headers.update(tenant.headers)
    widget = api.post(f"{hub}/api/widgets", json={"name": "Shop chat", "preChatFields": [
        {"key": "name", "label": "Name", "type": "name", "required": True},
        {"key": "email", "label": "Email", "type": "email", "required": True}],
        "settings": {"title": "Shop support", "greeting": "Hello! Ask us anything."}}).json()
    domain = api.post(f"{hub}/api/widgets/{widget['id']}/domains",
                      json={"domain": f"127.0.0.1:{host.port}"}).json()
    host.files["/.well-known/hub-verification.txt"] = (200, domain["token"].encode(), "text/plain")
    host.files["/"] = (200, _host_page(hub, widget["id"]), "text/html")
    verified = api.post(f"{hub}/api/widgets/{widget['id']}/domains/{domain['id']}/verify").json()
    assert verified["verified"] is True and verified["method"] == "file", verified
    return widget


def test_visitor_chats_from_an_authorized_page(hub_server, tenant, browser):
    host = StaticServer().start()
    try:
        widget = _setup_widget(hub_server, tenant, host)
        page = browser.new_page(viewport={"width": 1100, "height": 760})
        page.on("console", lambda m: print("console:", m.type, m.text))
        page.on("pageerror", lambda e: print("pageerror:", e))
        page.goto(host.origin + "/")
        frame = page.frame_locator("iframe[data-hub-widget]")
        frame.get_by_role("button", name="Open chat").click()
        frame.get_by_text("Hello! Ask us anything.").wait_for()
        frame.locator("#f-name").fill("Camille <b>Martin</b>")
        frame.locator("#f-email").fill("not-an-email")
        frame.get_by_role("button", name="Start chat").click()
        frame.get_by_text("not a valid email address").wait_for()
        frame.locator("#f-email").fill("camille@example.org")
        frame.get_by_role("button", name="Start chat").click()
        box = frame.get_by_role("textbox", name="Message")
        box.fill("Hello, do you ship to Lyon?")
        box.press("Enter")
        frame.get_by_text("Hello, do you ship to Lyon?").wait_for()
        frame.locator(".msg.visitor .meta", has_text="Sent").wait_for(timeout=10000)
        conversation = None
        deadline = time.time() + 20
        while conversation is None and time.time() < deadline:
            with hubdb.db.connection_context():
                conversation = Conversation.get_or_none(Conversation.channel == widget["channelId"])
            time.sleep(0.3)
        assert conversation is not None, "the worker did not store the visitor's message"
        with hubdb.db.connection_context():
            stored = [m.content for m in Message.select().where(
                Message.conversation == conversation.id)]
            assert stored == ["Hello, do you ship to Lyon?"]
            assert conversation.contact.name == "Camille <b>Martin</b>"
        from hub.outbound import send_agent_message

        # The visitor is halfway through the next message when the agent's reply arrives: the
        # box they type in stays the same element, with its text and the focus.
        box.fill("And to Marseille")
        box.evaluate("node => { node.dataset.probe = 'typing' }")
        with hubdb.db.connection_context():
            send_agent_message(Principal(tenant.admin.id, tenant.company.id, "admin"),
                               conversation, content="Yes, we ship to Lyon in 2 days.")
        frame.get_by_text("Yes, we ship to Lyon in 2 days.").wait_for(timeout=20000)
        assert box.evaluate("node => [node.dataset.probe, node.value, document.activeElement === node]") \
            == ["typing", "And to Marseille", True]
        # A returning visitor (same browser) sees the conversation again.
        page.reload()
        frame = page.frame_locator("iframe[data-hub-widget]")
        frame.get_by_role("button", name="Open chat").click()
        frame.get_by_text("Yes, we ship to Lyon in 2 days.").wait_for(timeout=10000)
    finally:
        host.stop()


def test_unauthorized_origin_gets_no_working_widget(hub_server, tenant, browser):
    host = StaticServer().start()
    try:
        widget = _setup_widget(hub_server, tenant, host)
        # The same page on another origin (localhost, another port) that is not authorized.
        other = StaticServer().start()
        other.files["/"] = host.files["/"]
        other.files["/framed"] = (200, (f'<!doctype html><iframe id="f" src="{hub_server}/widget/'
                                        f'frame/{widget["id"]}?host=http://127.0.0.1:{host.port}">'
                                        "</iframe>").encode(), "text/html")
        page = browser.new_page()
        page.goto(f"http://localhost:{other.port}/")
        page.wait_for_timeout(1500)
        assert page.locator("iframe[data-hub-widget]").count() == 0
        # Even framed by hand, the browser refuses it (frame-ancestors), so nothing renders.
        page.goto(f"http://localhost:{other.port}/framed")
        page.wait_for_timeout(1500)
        child = page.frames[1] if len(page.frames) > 1 else None
        assert child is None or child.locator("button").count() == 0
        # And the API answers 403 to that origin.
        r = requests.get(f"{hub_server}/widget/api/{widget['id']}/config",
                         headers={"Origin": f"http://localhost:{other.port}"})
        assert r.status_code == 403 and r.json()["error"]["code"] == "origin_not_allowed"
        stats = requests.get(f"{hub_server}/api/widgets/{widget['id']}", headers=tenant.headers).json()
        assert stats["refusedCount"] >= 2
        other.stop()
    finally:
        host.stop()
