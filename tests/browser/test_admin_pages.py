"""Dashboard and admin pages in headless Chromium against a real hub, worker and emulator."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import requests
from playwright.sync_api import expect

from hub import db as hubdb
from hub.analytics import recompute_day
from hub.models import Conversation, Message, WebhookEvent, utcnow
from tests.browser.scenario import login, wait_until, whatsapp_channel, whatsapp_text_body
from tests.browser.seed import seed_inbox

pytestmark = pytest.mark.browser


def test_dashboard_shows_stats_metrics_and_volume(hub_url, tenant, new_page, screenshots,
                                                  require_routes):
    """Rollups recomputed by the analytics job feed the stat cards, metrics, chart and agents."""
    require_routes("/api/chat/stats", "/api/metrics", "/api/analytics/dashboard")
    seed_inbox(tenant)
    today = utcnow().date()
    with hubdb.db.connection_context():
        for day in (today - timedelta(days=1), today):
            recompute_day(tenant.company.id, day)
        opened = Conversation.select().count()
        exchanged = Message.select().where(Message.is_private == False).count()  # noqa: E712
    api = requests.get(f"{hub_url}/api/chat/stats", headers=tenant.headers, timeout=10).json()
    assert api["totalSessions"] == opened == 3

    page = new_page(1280, 900)
    login(page, hub_url, tenant, "/dashboard")
    stats = page.locator("#stats")
    expect(stats.locator("[data-key='totalSessions'] .stat__value")).to_have_text("3")
    expect(stats.locator("[data-key='activeSessions'] .stat__value")).to_have_text("3")
    expect(stats.locator("[data-key='messagesExchanged'] .stat__value")).to_have_text(
        str(api["messagesExchanged"]))
    assert api["messagesExchanged"] >= exchanged - 1  # notes are not exchanged with customers

    metrics = page.locator("#metrics")
    expect(metrics.locator("tr[data-id='conversations'] td").nth(1)).to_have_text("3")
    expect(metrics).to_contain_text("First response time (min)")

    chart = page.locator("#volume svg.chart")
    expect(chart).to_have_attribute("aria-label", re.compile(r"Messages per day .* in total"))
    bars = chart.locator("rect.chart__bar")
    expect(bars.first).to_be_visible()
    channels = set(bars.evaluate_all("els => els.map(e => e.dataset.channel)"))
    assert channels == {"Telegram bot", "Instagram shop", "Facebook page"}
    expect(page.locator("#volume .legend")).to_contain_text("Telegram bot")
    expect(page.locator("#agents")).to_contain_text(tenant.admin.name)
    expect(page.locator("nav.topnav a[data-nav='dashboard']")).to_have_attribute(
        "aria-current", "page")
    page.screenshot(path=str(screenshots / "dashboard.png"), full_page=True)
    assert not page.console_errors, page.console_errors


def test_admin_connects_a_telegram_channel_and_sees_its_webhook_url(
        hub_url, emulator, tenant, new_page, screenshots, require_routes):
    """The form connects a bot on the emulator; the hub registers and shows its webhook URL."""
    require_routes("/api/channels")
    page = new_page()
    login(page, hub_url, tenant, "/admin/channels")
    expect(page.locator("#channel-list")).to_contain_text("No channel connected yet.")
    form = page.get_by_role("form", name="Connect a channel")
    form.get_by_label("Kind").select_option("telegram")
    form.get_by_label("Name").fill("Shop bot")
    form.get_by_label("Bot token").fill("4242:browser-test-token")
    form.get_by_label("API base URL (optional)").fill(emulator.url)
    form.get_by_role("button", name="Connect").click()

    row = page.locator("#channel-list tbody tr", has_text="Shop bot")
    expect(row).to_be_visible(timeout=15000)
    expect(row.locator(".pill")).to_have_text("active")
    shown = row.locator("code").first.inner_text()
    assert re.fullmatch(rf"{re.escape(hub_url)}/webhooks/telegram/[0-9a-f]{{32}}", shown), shown
    # The hub told the (emulated) Bot API that very URL.
    registered = wait_until(lambda: emulator.state.bot("4242:browser-test-token").webhook,
                            what="setWebhook at the emulator")
    assert registered["url"] == shown and registered["secret_token"]
    page.screenshot(path=str(screenshots / "admin-channels.png"))
    assert not page.console_errors, page.console_errors


def test_failed_webhook_event_is_listed_and_replay_processes_it(hub_url, emulator, tenant,
                                                                new_page, require_routes):
    """A raw event whose processing failed shows with its error; Replay has the worker redo it."""
    require_routes("/api/webhook-events")
    channel = whatsapp_channel(tenant, emulator)
    raw, signature, wamid = whatsapp_text_body("15551230009", "Hedy Lamarr",
                                               "Frequency hopping question")
    with hubdb.db.connection_context():
        event = WebhookEvent.create(company=tenant.company, channel=channel, kind="whatsapp",
                                    dedupe_key=wamid, body=raw.decode(), status="failed",
                                    attempts=3, error="database was restarting",
                                    headers={"X-Hub-Signature-256": signature})
    page = new_page()
    login(page, hub_url, tenant, "/admin/webhook-events")
    row = page.locator("#event-table tbody tr", has_text="database was restarting")
    expect(row).to_be_visible()
    expect(row).to_contain_text("whatsapp")
    row.get_by_role("button", name="Replay this event").click()
    expect(page.locator("#event-table")).to_contain_text("No failed webhook events.", timeout=10000)

    def processed():
        with hubdb.db.connection_context():
            status = WebhookEvent.get_by_id(event.id).status
            message = Message.get_or_none(Message.provider_message_id == wamid)
        return status == "processed" and message
    message = wait_until(processed, what="the worker to process the replayed event")
    assert message.content == "Frequency hopping question"
    page.goto(f"{hub_url}/chat")
    expect(page.locator("#conversation-list a.conv", has_text="Hedy Lamarr")).to_be_visible(
        timeout=15000)
    assert not page.console_errors, page.console_errors


def test_widgets_admin_is_an_inbox_page_with_live_preview(hub_url, tenant, new_page,
                                                         screenshots, require_routes):
    """Create a widget, see the preview follow the form, save, embed code, a domain, stats."""
    require_routes("/api/widgets")
    page = new_page(1440, 900)
    login(page, hub_url, tenant, "/admin/widgets")
    nav = page.get_by_role("navigation", name="Administration")
    expect(nav.get_by_role("link", name="Widgets")).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Channels")).to_be_visible()
    page.get_by_label("New widget").fill("Shop chat")
    page.get_by_role("button", name="Create widget").click()
    editor = page.locator("#widget-editor")
    expect(editor.get_by_role("heading", name="Shop chat")).to_be_visible(timeout=10000)

    preview = page.locator("#preview")
    editor.get_by_label("Title").fill("Talk to the shop")
    expect(preview.locator(".pv-header")).to_have_text("Talk to the shop")
    editor.get_by_label("Greeting").fill("Hello, chairs or tables?")
    expect(preview).to_contain_text("Hello, chairs or tables?")
    editor.get_by_label("Position").select_option("bottom-left")
    expect(preview).to_have_attribute("data-position", "bottom-left")
    editor.get_by_label("Offline message").fill("We answer tomorrow morning.")
    editor.get_by_role("button", name="Save widget").click()
    expect(page.locator(".toast", has_text="Widget saved")).to_be_visible()

    saved = requests.get(f"{hub_url}/api/widgets", headers=tenant.headers, timeout=10).json()
    [widget] = saved
    assert widget["settings"]["title"] == "Talk to the shop"
    assert widget["settings"]["offlineMessage"] == "We answer tomorrow morning."
    assert widget["settings"]["position"] == "bottom-left"
    expect(page.locator("#embed-code")).to_have_text(
        f'<script src="{hub_url}/widget.js?id={widget["id"]}" async></script>')

    page.get_by_label("Add a domain").fill("shop.example.com")
    page.get_by_role("button", name="Add domain").click()
    domain = editor.locator(".domains__list li", has_text="shop.example.com")
    expect(domain).to_contain_text("not verified", timeout=10000)
    expect(domain).to_contain_text("_hub-verification")
    expect(page.locator("#widget-stats [data-key='loads'] .stat__value")).to_have_text("0")
    page.evaluate("document.getElementById('toasts')?.remove()")  # a clean picture
    page.screenshot(path=str(screenshots / "admin-widgets.png"), full_page=True)
    assert not page.console_errors, page.console_errors
