"""The inbox in headless Chromium against a real hub, worker and provider emulator."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.seed import seed_inbox
from tests.browser.scenario import (auto_status, login, post_whatsapp_text, stored_message,
                                    wait_until, whatsapp_channel)

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=alert(1)>"


def open_conversation(page, name: str):
    """Click the conversation of `name` in the list; returns its id from the URL."""
    item = page.locator("#conversation-list a.conv", has_text=name)
    expect(item).to_be_visible(timeout=30000)
    item.click()
    page.wait_for_url(re.compile(r"/chat/[0-9a-f]+$"))
    expect(page.locator("#thread-name")).to_have_text(name)
    return page.url.rsplit("/", 1)[1]


def reply(page, text: str):
    page.get_by_label("Message", exact=True).fill(text)
    page.get_by_label("Message", exact=True).press("Enter")
    bubble = page.locator("#messages article.msg--out", has_text=text)
    expect(bubble).to_be_visible(timeout=10000)
    return bubble


def test_webhook_reply_and_ticks_live(hub_url, emulator, tenant, new_page, require_routes):
    """Given a signed WhatsApp webhook, the agent sees it live, replies, and sees it delivered and read."""
    require_routes("/api/chat/sessions", "/ws", "/api/users/me/settings", "/webhooks/", "/api/deliveries")
    channel = whatsapp_channel(tenant, emulator)
    auto_status(emulator, hub_url, channel)
    page = new_page()
    login(page, hub_url, tenant)

    post_whatsapp_text(hub_url, channel, "15551230001", "Ada Lovelace",
                       "Hello! Is my order 58213 shipped yet?")
    item = page.locator("#conversation-list a.conv", has_text="Ada Lovelace")
    expect(item).to_contain_text("Is my order 58213 shipped yet?", timeout=30000)
    conversation_id = open_conversation(page, "Ada Lovelace")
    expect(page.locator("#messages")).to_contain_text("Hello! Is my order 58213 shipped yet?")

    bubble = reply(page, "Hi Ada, it left the warehouse this morning.")
    wait_until(lambda: any("left the warehouse" in str(d) for d in emulator.state.delivered("whatsapp")),
               what="the emulator to receive the reply")
    expect(bubble.locator(".tick")).to_have_attribute("data-status", "read", timeout=30000)
    expect(bubble.locator(".tick--read")).to_have_attribute("aria-label", "Read")

    post_whatsapp_text(hub_url, channel, "15551230001", "Ada Lovelace", "Great, thank you!")
    expect(page.locator("#messages")).to_contain_text("Great, thank you!", timeout=30000)
    expect(page.locator("#contact-panel")).to_contain_text("15551230001")

    page.reload()
    page.wait_for_selector("body[data-ready='true']")
    assert page.url.endswith(f"/chat/{conversation_id}")
    expect(page.locator("#thread-name")).to_have_text("Ada Lovelace")
    expect(page.locator("#messages")).to_contain_text("Great, thank you!")

    assert not page.console_errors, page.console_errors


def test_failed_delivery_shows_reason_and_retry_works(hub_url, emulator, tenant, new_page,
                                                     require_routes):
    """A permanent provider error shows its reason; Retry sends the message again for real."""
    require_routes("/api/chat/sessions", "/ws", "/api/users/me/settings", "/webhooks/", "/api/deliveries")
    channel = whatsapp_channel(tenant, emulator)
    page = new_page()
    login(page, hub_url, tenant)
    post_whatsapp_text(hub_url, channel, "15551230002", "Grace Hopper", "Can I change my plan?")
    open_conversation(page, "Grace Hopper")
    # Every send fails until cleared (a "next 1" rule could be used up by the read receipt).
    emulator.state.faults.configure([{"type": "error_code", "provider": "whatsapp", "code": 131026,
                                      "message": "Message undeliverable"}])
    bubble = reply(page, "Sure, which plan would you like?")
    failure = bubble.locator(".msg__failure")
    expect(failure).to_be_visible(timeout=30000)
    expect(failure).to_contain_text(re.compile("undeliverable", re.I))
    expect(failure).to_contain_text("131026")
    assert emulator.state.delivered("whatsapp") == []

    emulator.state.faults.clear()
    failure.get_by_role("button", name="Retry sending this message").click()
    wait_until(lambda: any("which plan" in str(d) for d in emulator.state.delivered("whatsapp")),
               what="the retried message at the emulator")
    expect(bubble.locator(".tick")).to_have_attribute("data-status", re.compile("sent|delivered|read"),
                                                      timeout=30000)
    expect(bubble.locator(".msg__failure")).to_have_count(0)


def test_a_send_answer_arriving_after_its_live_events_does_not_undo_them(hub_url, tenant,
                                                                         new_page):
    """A fast delivery's events can beat the API's answer to the send; the answer (the message
    as created, queued) must not put a failed or sent message back to queued."""
    page = new_page()
    login(page, hub_url, tenant)
    statuses = page.evaluate("""async () => {
        const { store, upsertMessage, addCreatedMessage } = await import('/static/inbox/store.js');
        const created = { id: 'm-race', conversationId: 'c-race', status: 'queued',
                          timestamp: '2024-06-10T15:00:00Z', content: 'hello' };
        store.messages.set('c-race', []);
        upsertMessage({ ...created, status: 'failed', errorCode: '131026' });  // the live event
        addCreatedMessage(created);                                             // then the answer
        const afterRace = store.messages.get('c-race').map((m) => m.status);
        addCreatedMessage({ ...created, id: 'm-new' });                         // no event yet
        const list = store.messages.get('c-race');
        store.messages.delete('c-race');
        return { afterRace, all: list.map((m) => [m.id, m.status]) };
    }""")
    assert statuses["afterRace"] == ["failed"]
    assert statuses["all"] == [["m-new", "queued"], ["m-race", "failed"]]


def test_customer_html_is_shown_as_text(hub_url, emulator, tenant, new_page, require_routes):
    """Markup a customer sends is text: nothing runs, nothing becomes an element."""
    require_routes("/api/chat/sessions", "/ws", "/api/users/me/settings", "/webhooks/")
    channel = whatsapp_channel(tenant, emulator)
    page = new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    login(page, hub_url, tenant)
    post_whatsapp_text(hub_url, channel, "15551230003", f"Mallory {XSS}", f"hi {XSS}")
    expect(page.locator("#conversation-list")).to_contain_text(f"hi {XSS}", timeout=30000)
    open_conversation(page, f"Mallory {XSS}")
    expect(page.locator("#messages .msg__text", has_text=XSS)).to_have_text(f"hi {XSS}")
    assert page.locator("#messages img[src='x'], #conversation-list img, #contact-panel img").count() == 0
    page.wait_for_timeout(500)
    assert dialogs == []
    csp = page.request.get(f"{hub_url}/chat").headers["content-security-policy"]
    assert "script-src 'self'" in csp


def test_catches_up_after_a_dropped_connection(hub_url, emulator, tenant, new_page, require_routes):
    """Messages that arrive while the socket is down show after it reconnects (lastEventId)."""
    require_routes("/api/chat/sessions", "/ws", "/api/users/me/settings", "/webhooks/")
    channel = whatsapp_channel(tenant, emulator)
    page = new_page()
    login(page, hub_url, tenant)
    post_whatsapp_text(hub_url, channel, "15551230004", "Linus", "first")
    open_conversation(page, "Linus")
    page.evaluate("window.hubSocket.stop()")
    expect(page.locator("#conn-state")).to_have_attribute("data-state", "offline")
    wamid = post_whatsapp_text(hub_url, channel, "15551230004", "Linus", "sent while you were away")
    wait_until(lambda: stored_message(wamid), what="the worker to store the message")
    page.wait_for_timeout(300)
    expect(page.locator("#messages")).not_to_contain_text("sent while you were away")
    page.evaluate("window.hubSocket.stopped = false; window.hubSocket.connect()")
    expect(page.locator("#messages")).to_contain_text("sent while you were away", timeout=15000)


def test_history_navigation_themes_phone_and_admin(hub_url, tenant, new_page, screenshots,
                                                   require_routes):
    """Deep links with back/forward; the three panels at 1280px; dark theme; phone; an admin page."""
    require_routes("/api/chat/sessions", "/ws", "/api/users/me/settings", "/api/contacts", "/api/canned-responses")
    ids = seed_inbox(tenant)
    page = new_page()
    login(page, hub_url, tenant)
    first = open_conversation(page, "Tim Berners-Lee")
    second = open_conversation(page, "Marie Curie")
    page.go_back()
    expect(page.locator("#thread-name")).to_have_text("Tim Berners-Lee")
    assert page.url.endswith(first)
    page.go_forward()
    expect(page.locator("#thread-name")).to_have_text("Marie Curie")
    assert page.url.endswith(second) and second == ids["Marie Curie"]

    messages = page.locator("#messages")
    expect(messages.locator("article.msg--private")).to_contain_text("Accounting confirmed")
    expect(messages.locator("img.att__img")).to_have_attribute("src", re.compile("^blob:"), timeout=10000)
    expect(page.locator("#contact-panel")).to_contain_text("Key account since 2021")
    expect(page.locator("#contact-panel")).to_contain_text("Annual plan, 25 seats")
    expect(page.locator("#contact-panel")).to_contain_text("billing")
    page.screenshot(path=str(screenshots / "inbox-1280.png"))

    page.get_by_label("Theme").select_option("dark")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    page.screenshot(path=str(screenshots / "inbox-dark.png"))
    page.get_by_label("Theme").select_option("light")

    phone = new_page(390, 844)
    login(phone, hub_url, tenant)
    expect(phone.locator("#list-panel")).to_be_visible()
    expect(phone.locator("#thread-panel")).to_be_hidden()
    phone.screenshot(path=str(screenshots / "phone-list.png"))
    phone.locator("#conversation-list a.conv", has_text="Marie Curie").click()
    expect(phone.locator("#list-panel")).to_be_hidden()
    expect(phone.locator("#messages")).to_contain_text("corrected invoice")
    expect(phone.locator("#messages img.att__img")).to_have_attribute("src", re.compile("^blob:"))
    phone.wait_for_timeout(300)
    phone.screenshot(path=str(screenshots / "phone-thread.png"))
    phone.get_by_role("button", name="Back to conversations").click()
    expect(phone.locator("#list-panel")).to_be_visible()

    page.goto(f"{hub_url}/admin/canned-responses")
    page.wait_for_selector("body[data-ready='true']")
    expect(page.locator("#page-root")).to_contain_text("/hours")
    page.screenshot(path=str(screenshots / "admin-canned-responses.png"))
    assert not page.console_errors, page.console_errors
    assert not phone.console_errors, phone.console_errors


def test_composer_tools_and_contact_panel(hub_url, tenant, new_page, require_routes):
    """Canned responses by /shortcut, a private note, tags, prospect to client, filters."""
    require_routes("/api/chat/sessions", "/ws", "/api/users/me/settings", "/api/contacts", "/api/canned-responses")
    seed_inbox(tenant)
    page = new_page()
    login(page, hub_url, tenant)
    open_conversation(page, "Katherine Johnson")
    box = page.get_by_label("Message", exact=True)
    box.fill("/ho")
    expect(page.locator("#canned-list")).to_contain_text("Opening hours")
    box.press("Enter")
    expect(box).to_have_value("We are open Monday to Friday, 9:00 to 18:00.")

    page.get_by_label("Private note").check()
    box.fill("Check shipping cost to Toronto")
    box.press("Enter")
    note = page.locator("#messages article.msg--private", has_text="Toronto")
    expect(note).to_be_visible()
    expect(note).to_contain_text("Private note")

    panel = page.locator("#contact-panel")
    panel.get_by_label("New tag").fill("shipping")
    panel.get_by_role("button", name="Add", exact=True).click()
    expect(panel.get_by_role("button", name="Remove tag shipping")).to_be_visible()
    panel.locator("summary", has_text="Prospect").click()
    panel.get_by_role("button", name="Convert to client").click()
    expect(panel.locator(".pill--client")).to_have_text("Client", timeout=10000)

    page.get_by_label("Filter by channel").select_option("instagram")
    expect(page.locator("#conversation-list a.conv")).to_have_count(1)
    page.get_by_label("Filter by channel").select_option("")
    page.get_by_label("Search conversations").fill("blue model")
    expect(page.locator("#conversation-list a.conv", has_text="Tim Berners-Lee")).to_be_visible()
    expect(page.locator("#conversation-list a.conv", has_text="Marie Curie")).to_have_count(0)
    assert not page.console_errors, page.console_errors


def test_whatsapp_template_from_the_composer(hub_url, emulator, tenant, new_page, require_routes,
                                            screenshots):
    """The synced templates of a WhatsApp channel fill the composer's picker; a template with
    parameters reaches the provider, and the channel page shows what the sync found."""
    require_routes("/api/chat/sessions", "/ws", "/webhooks/", "/api/channels")
    from hub import channel_sync
    from hub import db as hubdb

    channel = whatsapp_channel(tenant, emulator)
    with hubdb.db.connection_context():
        channel_sync.sync_channel(channel.id)  # the hourly job, now: the emulator's templates
    page = new_page()
    login(page, hub_url, tenant)
    post_whatsapp_text(hub_url, channel, "15551230009", "Hedy Lamarr", "Where is order 77?")
    open_conversation(page, "Hedy Lamarr")
    page.get_by_role("button", name="WhatsApp templates").click()
    picker = page.get_by_label("Template", exact=True)
    expect(picker.locator("option")).to_have_count(2)
    picker.select_option(label="order_update · en_US")
    page.get_by_label("Parameter 1").fill("#77")
    page.get_by_label("Parameter 2").fill("on its way")
    expect(page.locator("#template-preview")).to_have_text("Your order #77 is on its way.")
    page.screenshot(path=str(screenshots / "composer-template.png"))
    # The customer writes meanwhile: the live update leaves the half-sent template alone.
    post_whatsapp_text(hub_url, channel, "15551230009", "Hedy Lamarr", "Any news?")
    expect(page.locator("#messages")).to_contain_text("Any news?", timeout=30000)
    expect(page.locator("#template-panel")).to_be_visible()
    expect(page.get_by_label("Parameter 2")).to_have_value("on its way")
    page.get_by_role("button", name="Send template").click()
    bubble = page.locator("#messages article.msg--out", has_text="Your order #77 is on its way.")
    expect(bubble).to_be_visible(timeout=10000)
    sent = wait_until(lambda: [d for d in emulator.state.delivered("whatsapp")
                               if d["body"].get("type") == "template"],
                      what="the template at the emulator")
    template = sent[0]["body"]["template"]
    assert template["name"] == "order_update" and template["language"]["code"] == "en_US"
    assert [p["text"] for p in template["components"][0]["parameters"]] == ["#77", "on its way"]

    page.goto(f"{hub_url}/admin/channels")
    row = page.locator("tr", has_text="Support WhatsApp")
    expect(row).to_contain_text("Quality GREEN")
    expect(row).to_contain_text("2 templates")
    assert not page.console_errors, page.console_errors
