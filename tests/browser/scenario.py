"""Steps the browser tests share: a WhatsApp channel on the emulator, signed webhooks, login."""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any, Callable

import requests

from hub import db as hubdb
from hub.crypto import encrypt_json
from hub.models import Channel, Message
from tests.factories import PASSWORD

APP_SECRET = "browser-test-app-secret"
PHONE_NUMBER_ID = "106540352242922"


def whatsapp_channel(tenant, emulator) -> Channel:
    """A WhatsApp channel of the tenant whose API is the emulator."""
    with hubdb.db.connection_context():
        return Channel.create(
            company=tenant.company, kind="whatsapp", name="Support WhatsApp",
            credentials_encrypted=encrypt_json({"accessToken": "emulator-token",
                                                "appSecret": APP_SECRET,
                                                "phoneNumberId": PHONE_NUMBER_ID,
                                                "businessAccountId": "102290129340398"}),
            settings={"apiBaseUrl": f"{emulator.url}/v21.0", "httpTimeout": 3},
            verify_token=secrets.token_hex(8))


def whatsapp_text_body(phone: str, name: str, text: str) -> tuple[bytes, str, str]:
    """An inbound text webhook as Meta sends it: (raw body, its signature header, wamid)."""
    wamid = f"wamid.{secrets.token_hex(12)}"
    body = {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
        "field": "messages",
        "value": {"messaging_product": "whatsapp",
                  "metadata": {"display_phone_number": "15550783881",
                               "phone_number_id": PHONE_NUMBER_ID},
                  "contacts": [{"profile": {"name": name}, "wa_id": phone}],
                  "messages": [{"from": phone, "id": wamid, "timestamp": str(int(time.time())),
                                "type": "text", "text": {"body": text}}]}}]}]}
    raw = json.dumps(body, ensure_ascii=False).encode()
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    return raw, signature, wamid


def post_whatsapp_text(hub_url: str, channel: Channel, phone: str, name: str, text: str) -> str:
    """POST a signed inbound text webhook to the hub as Meta would; returns the wamid."""
    raw, signature, wamid = whatsapp_text_body(phone, name, text)
    resp = requests.post(f"{hub_url}/webhooks/whatsapp/{channel.id}", data=raw, timeout=10,
                         headers={"Content-Type": "application/json",
                                  "X-Hub-Signature-256": signature})
    assert resp.status_code == 200, resp.text
    return wamid


def auto_status(emulator, hub_url: str, channel: Channel, delay_ms: int = 400) -> None:
    """Have the emulator post signed delivered and read webhooks after each WhatsApp send."""
    emulator.state.auto_status = {"hubUrl": hub_url, "channelId": channel.id,
                                  "appSecret": APP_SECRET, "delayMs": delay_ms}


def login(page, hub_url: str, tenant, path: str = "/chat") -> None:
    page.goto(f"{hub_url}{path}")
    page.wait_for_url("**/login**")
    page.get_by_label("Email").fill(tenant.admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("body[data-ready='true']")
    page.wait_for_selector("#conn-state[data-state='online']", timeout=15000)


def wait_until(check: Callable[[], Any], timeout: float = 20, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def stored_message(provider_message_id: str):
    with hubdb.db.connection_context():
        return Message.get_or_none(Message.provider_message_id == provider_message_id)
