"""Status webhooks back to the hub, built and signed the way Meta builds and signs them."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from typing import TYPE_CHECKING, Any, Optional

import requests

if TYPE_CHECKING:
    from connectors.emulators.state import EmulatorState

# Ids the emulator reports as the business side when a caller does not give its own.
DEFAULT_WABA_ID = "102290129340398"
DEFAULT_PHONE_NUMBER_ID = "106540352242922"
DEFAULT_PAGE_ID = "109876543210987"
# Seconds to wait for the hub to answer a status webhook.
POST_TIMEOUT = 10


def whatsapp_status_body(provider_message_id: str, status: str, recipient: str, *,
                         phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
                         waba_id: str = DEFAULT_WABA_ID,
                         error: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """A Cloud API `statuses` webhook for one message."""
    entry: dict[str, Any] = {"id": provider_message_id, "status": status,
                             "timestamp": str(int(time.time())), "recipient_id": recipient}
    if status in ("sent", "delivered"):
        entry["conversation"] = {"id": "CONVERSATION_ID", "origin": {"type": "service"}}
        entry["pricing"] = {"billable": True, "pricing_model": "CBP", "category": "service"}
    if status == "failed":
        err = error or {"code": 131026, "title": "Message undeliverable"}
        entry["errors"] = [{"code": err["code"], "title": err.get("title", "Error"),
                            "message": err.get("message", err.get("title", "Error")),
                            "error_data": {"details": err.get("details", "")}}]
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": "15550001111",
                          "phone_number_id": phone_number_id},
             "statuses": [entry]}
    return {"object": "whatsapp_business_account",
            "entry": [{"id": waba_id, "changes": [{"value": value, "field": "messages"}]}]}


def graph_status_body(kind: str, provider_message_id: str, status: str, recipient: str, *,
                      page_id: str = DEFAULT_PAGE_ID) -> dict[str, Any]:
    """A Messenger (or Instagram) `delivery` or `read` webhook for one message."""
    now_ms = int(time.time() * 1000)
    event: dict[str, Any] = {"sender": {"id": recipient}, "recipient": {"id": page_id},
                             "timestamp": now_ms}
    if status == "delivered":
        event["delivery"] = {"mids": [provider_message_id], "watermark": now_ms}
    elif status == "read":
        # Messenger reports a watermark; Instagram names the message it read.
        event["read"] = ({"mid": provider_message_id} if kind == "instagram"
                         else {"watermark": now_ms})
    else:
        raise ValueError(f"the Send API reports only delivered and read, not {status}")
    obj = "instagram" if kind == "instagram" else "page"
    return {"object": obj, "entry": [{"id": page_id, "time": now_ms, "messaging": [event]}]}


def sign(raw_body: bytes, app_secret: str) -> str:
    """Meta's X-Hub-Signature-256 header value."""
    return "sha256=" + hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()


def post_status(hub_url: str, kind: str, channel_id: str, app_secret: str,
                provider_message_id: str, status: str, recipient: str,
                **extra: Any) -> int:
    """Build, sign and POST one status webhook to {hub_url}/webhooks/{kind}/{channel_id}."""
    if kind == "whatsapp":
        body = whatsapp_status_body(provider_message_id, status, recipient, **extra)
    elif kind in ("messenger", "instagram"):
        body = graph_status_body(kind, provider_message_id, status, recipient, **extra)
    else:
        raise ValueError(f"no status webhooks for {kind}")
    raw = json.dumps(body, separators=(",", ":")).encode()
    resp = requests.post(f"{hub_url.rstrip('/')}/webhooks/{kind}/{channel_id}", data=raw,
                         headers={"Content-Type": "application/json",
                                  "X-Hub-Signature-256": sign(raw, app_secret)},
                         timeout=POST_TIMEOUT)
    return resp.status_code


def schedule_auto_status(state: "EmulatorState", wamid: str, recipient: str,
                         phone_number_id: str) -> None:
    """After a WhatsApp send, post delivered then read to the configured hub, in the background."""
    config = state.auto_status
    if not config:
        return

    def run() -> None:
        delay = float(config.get("delayMs", 50)) / 1000
        for status in ("delivered", "read"):
            time.sleep(delay)
            try:
                post_status(config["hubUrl"], "whatsapp", str(config["channelId"]),
                            config["appSecret"], wamid, status, recipient,
                            phone_number_id=phone_number_id)
            except requests.RequestException:
                return  # the hub is down: real Meta would retry, the emulator gives up

    threading.Thread(target=run, name="emulator-auto-status", daemon=True).start()
