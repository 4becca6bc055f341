"""A widget visitor and an agent, both in Chromium: live both ways, and the offline message."""
from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from hub import db as hubdb
from hub.models import AuthorizedDomain, Conversation, Message, User, utcnow
from tests.browser.scenario import login, wait_until
from tests.widget.servers import StaticServer

pytestmark = pytest.mark.browser


@pytest.fixture
def shop(hub_url, tenant, require_routes):
    """A host page on its own origin, authorized for a new widget of the tenant."""
    require_routes("/api/widgets", "/widget/api/", "/webhooks/", "/api/deliveries")
    host = StaticServer().start()
    api = requests.Session()
    api.headers.update(tenant.headers)
    widget = api.post(f"{hub_url}/api/widgets", timeout=10, json={
        "name": "Shop chat", "preChatFields": [
            {"key": "name", "label": "Name", "type": "name", "required": True}],
        "settings": {"title": "Shop support", "greeting": "Hello! Ask us anything.",
                     "offlineMessage": "Nobody is here right now; we answer by 9:00."}}).json()
    domain = api.post(f"{hub_url}/api/widgets/{widget['id']}/domains", timeout=10,
                      json={"domain": f"127.0.0.1:{host.port}"}).json()
    # Verification itself is tested in tests/widget and test_widget.py; here it is a given.
    with hubdb.db.connection_context():
        AuthorizedDomain.update(verified=True, method="file", verified_at=utcnow()).where(
            AuthorizedDomain.id == domain["id"]).execute()
    host.files["/"] = (200, (
        "<!doctype html><html><head><title>Shop</title></head><body><h1>Chairs</h1>"
        f'<script src="{hub_url}/widget.js?id={widget["id"]}" async></script></body></html>'
    ).encode(), "text/html")
    host.widget = widget
    yield host
    host.stop()


def open_widget(page, shop, name: str):
    """Open the widget on the host page and get through the pre-chat form."""
    page.goto(shop.origin + "/")
    frame = page.frame_locator("iframe[data-hub-widget]")
    frame.get_by_role("button", name="Open chat").click()
    frame.get_by_text("Hello! Ask us anything.").wait_for()
    return frame


def start_chat(frame, name: str):
    frame.locator("#f-name").fill(name)
    frame.get_by_role("button", name="Start chat").click()
    return frame.get_by_role("textbox", name="Message")


def visitor_says(frame, text: str) -> None:
    box = frame.get_by_role("textbox", name="Message")
    box.fill(text)
    box.press("Enter")
    expect(frame.locator(".msg.visitor", has_text=text).locator(".meta")).to_contain_text(
        "Sent", timeout=10000)


def test_visitor_message_is_live_in_the_inbox_and_the_reply_live_in_the_widget(
        hub_url, tenant, new_page, shop, screenshots):
    agent = new_page()
    login(agent, hub_url, tenant)
    wait_until(lambda: _status(tenant.admin.id) == "online", what="the agent to be online")

    visitor = new_page(1100, 760)
    frame = open_widget(visitor, shop, "Camille")
    expect(frame.get_by_role("status")).to_have_count(0)  # an agent is online: no offline note
    start_chat(frame, "Camille Martin")
    visitor_says(frame, "Hello, do you ship to Lyon?")

    item = agent.locator("#conversation-list a.conv", has_text="Camille Martin")
    expect(item).to_contain_text("Hello, do you ship to Lyon?", timeout=30000)
    item.click()
    agent.wait_for_url(re.compile(r"/chat/[0-9a-f]+$"))
    expect(agent.locator("#thread-name")).to_have_text("Camille Martin")
    expect(agent.locator("#messages")).to_contain_text("Hello, do you ship to Lyon?")

    # The visitor keeps writing: typing, then the message, both live in the open thread.
    frame.get_by_role("textbox", name="Message").press_sequentially("And to", delay=30)
    expect(agent.locator("#typing")).to_have_text("Camille Martin is typing…", timeout=10000)
    visitor_says(frame, "And to Nice?")
    expect(agent.locator("#messages article.msg", has_text="And to Nice?")).to_be_visible(
        timeout=30000)
    expect(item).to_contain_text("And to Nice?")

    box = agent.get_by_label("Message", exact=True)
    box.fill("Yes, to both, in 2 days.")
    box.press("Enter")
    bubble = agent.locator("#messages article.msg--out", has_text="Yes, to both, in 2 days.")
    expect(bubble).to_be_visible(timeout=10000)
    reply = frame.locator(".msg.agent", has_text="Yes, to both, in 2 days.")
    expect(reply).to_be_visible(timeout=30000)
    expect(reply.locator(".who")).to_have_text(tenant.admin.name)
    # The widget acknowledges and reads it (the panel is open): the agent's tick says so.
    expect(bubble.locator(".tick")).to_have_attribute("data-status", "read", timeout=30000)
    visitor.screenshot(path=str(screenshots / "widget.png"))
    assert not agent.console_errors, agent.console_errors


def test_offline_message_when_no_agent_is_online_and_messages_still_go_in(
        hub_url, tenant, new_page, shop):
    assert _status(tenant.admin.id) != "online"
    visitor = new_page(1100, 760)
    frame = open_widget(visitor, shop, "Noor")
    note = frame.get_by_role("status")
    expect(note).to_have_text("Nobody is here right now; we answer by 9:00.")
    start_chat(frame, "Noor Inayat")
    expect(note).to_be_visible()  # still shown above the conversation
    visitor_says(frame, "Please call me back tomorrow")

    def stored():
        with hubdb.db.connection_context():
            return Message.get_or_none(Message.content == "Please call me back tomorrow")
    message = wait_until(stored, what="the worker to store the offline visitor's message")
    with hubdb.db.connection_context():
        conversation = Conversation.get_by_id(message.conversation_id)
        assert conversation.channel_id == shop.widget["channelId"]

    # Once an agent is online, a new visit shows no offline note.
    agent = new_page()
    login(agent, hub_url, tenant)
    wait_until(lambda: _status(tenant.admin.id) == "online", what="the agent to be online")
    expect(agent.locator("#conversation-list a.conv", has_text="Noor Inayat")).to_be_visible(
        timeout=15000)
    visitor.reload()
    frame = visitor.frame_locator("iframe[data-hub-widget]")
    frame.get_by_role("button", name="Open chat").click()
    expect(frame.locator(".msg.visitor", has_text="Please call me back tomorrow")).to_be_visible(
        timeout=10000)
    expect(frame.get_by_role("status")).to_have_count(0)


def _status(user_id: str) -> str:
    with hubdb.db.connection_context():
        return User.get_by_id(user_id).status
