"""What other agents do shows live: typing in the thread, presence, notifications."""
from __future__ import annotations

import re

import pytest
import requests
import websocket
from playwright.sync_api import expect

from hub import db as hubdb
from hub.notifications import notify
from tests.browser.scenario import login, post_whatsapp_text, whatsapp_channel
from tests.browser.test_inbox import open_conversation

pytestmark = pytest.mark.browser


def test_another_agents_typing_and_presence_show(hub_url, emulator, tenant, new_page,
                                                 require_routes, request):
    """A second agent types (REST) and goes away then online; the first agent sees both live."""
    require_routes("/api/chat/sessions", "/ws", "/webhooks/", "/api/users")
    channel = whatsapp_channel(tenant, emulator)
    colleague, colleague_headers = tenant.add_user("support", name="Alex Colleague",
                                                   status="online")
    # Online for real, with a socket of its own: an agent shown online without one is set
    # offline by the next presence sweep (every 15 s), which made this test flaky.
    colleague_socket = websocket.create_connection(
        f"ws://{hub_url.split('://', 1)[1]}/ws",
        header=[f"Authorization: {colleague_headers['Authorization']}"], timeout=10)
    request.addfinalizer(colleague_socket.close)
    page = new_page()
    login(page, hub_url, tenant)
    post_whatsapp_text(hub_url, channel, "15551230011", "Rosalind Franklin", "Any news?")
    conversation_id = open_conversation(page, "Rosalind Franklin")

    typing = page.locator("#typing")
    expect(typing).to_be_hidden()
    r = requests.post(f"{hub_url}/api/chat/sessions/{conversation_id}/typing",
                      json={"isTyping": True}, headers=colleague_headers, timeout=10)
    assert r.status_code < 300, r.text
    expect(typing).to_be_visible(timeout=10000)
    expect(typing).to_have_text("Alex Colleague is typing…")
    requests.post(f"{hub_url}/api/chat/sessions/{conversation_id}/typing",
                  json={"isTyping": False}, headers=colleague_headers, timeout=10)
    expect(typing).to_be_hidden(timeout=10000)

    option = page.locator("#assign-select option", has_text="Alex Colleague")
    expect(option).to_have_text("Alex Colleague · online")
    r = requests.put(f"{hub_url}/api/users/{colleague.id}/status", json={"status": "away"},
                     headers=colleague_headers, timeout=10)
    assert r.status_code == 200, r.text
    expect(option).to_have_text("Alex Colleague · away", timeout=10000)
    requests.put(f"{hub_url}/api/users/{colleague.id}/status", json={"status": "offline"},
                 headers=colleague_headers, timeout=10)
    expect(option).to_have_text("Alex Colleague · offline", timeout=10000)
    assert not page.console_errors, page.console_errors


def test_notification_bell_counts_live_and_marks_all_read(hub_url, tenant, new_page,
                                                         require_routes):
    """Unread notifications (one before login, two live) count on the bell; Mark all read clears."""
    require_routes("/api/notifications", "/ws")
    with hubdb.db.connection_context():
        notify(tenant.admin.id, "Welcome", "Your inbox is ready", type="update")
    page = new_page()
    login(page, hub_url, tenant)
    badge = page.locator("#notif-count")
    expect(badge).to_have_text("1")
    with hubdb.db.connection_context():
        notify(tenant.admin.id, "Conversation assigned", "Marie Curie is yours", type="message")
        notify(tenant.admin.id, "Delivery failed", "A reply could not be sent", type="alert")
    expect(badge).to_have_text("3", timeout=10000)
    bell = page.get_by_role("button", name=re.compile(r"^Notifications, 3 unread"))
    bell.click()
    panel = page.locator("#notif-panel")
    expect(panel).to_be_visible()
    expect(panel.locator(".notif__item.is-unread")).to_have_count(3)
    expect(panel).to_contain_text("Delivery failed")
    panel.get_by_role("button", name="Mark notification Welcome read").click()
    expect(badge).to_have_text("2")
    panel.get_by_role("button", name="Mark all read").click()
    expect(badge).to_be_hidden()
    expect(panel.locator(".notif__item.is-unread")).to_have_count(0)
    body = requests.get(f"{hub_url}/api/notifications", headers=tenant.headers, timeout=10).json()
    assert body["unreadCount"] == 0
    page.reload()
    page.wait_for_selector("body[data-ready='true']")
    expect(page.locator("#notif-count")).to_be_hidden()
    assert not page.console_errors, page.console_errors
