"""Inbound test parts: channels created through the API, signed posts, a worker on chosen queues."""
from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any, Optional

import pytest

from connectors.emulators import EmulatorServer
from tests.workers_fixture import start_worker
from hub import db as hubdb
from hub.channel_config import channel_config
from hub.models import Channel

ROOT = Path(__file__).resolve().parents[2]
KINDS = ("whatsapp", "instagram", "messenger", "telegram")
APP_SECRET = "app-secret-for-tests-0123456789"
CREDENTIALS = {
    "whatsapp": {"accessToken": "EAAG-test-token", "appSecret": APP_SECRET,
                 "phoneNumberId": "106540352242922", "businessAccountId": "102290129340398"},
    "instagram": {"accessToken": "IGQ-test-token", "appSecret": APP_SECRET,
                  "igUserId": "17841405822304914"},
    "messenger": {"accessToken": "EAAB-test-token", "appSecret": APP_SECRET,
                  "pageId": "107749458413722"},
    "telegram": {"botToken": "123456:ABC-test-token"},
}


def fixture_files(kind: Optional[str] = None) -> list[Path]:
    kinds = [kind] if kind else KINDS
    return [p for k in kinds for p in sorted((ROOT / "connectors" / k / "fixtures").glob("*.json"))]


def api_base(kind: str, emulator: EmulatorServer) -> str:
    return emulator.url if kind == "telegram" else f"{emulator.url}/v21.0"


def create_channel(client, tenant, kind: str, emulator: EmulatorServer) -> dict[str, Any]:
    """A channel made through POST /api/channels, pointed at the emulator."""
    response = client.post("/api/channels", headers=tenant.headers, json={
        "kind": kind, "name": f"{kind} test", "credentials": CREDENTIALS[kind],
        "settings": {"apiBaseUrl": api_base(kind, emulator), "httpTimeout": 3}})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def signed_headers(channel_id: str, body: bytes) -> dict[str, str]:
    """The headers the provider would send: Meta's HMAC or Telegram's secret token."""
    with hubdb.db.connection_context():
        config = channel_config(Channel.get_by_id(channel_id))
    if config.kind == "telegram":
        return {"X-Telegram-Bot-Api-Secret-Token": config.secret_token or "",
                "Content-Type": "application/json"}
    digest = hmac.new(config.credentials["appSecret"].encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"}


def post_webhook(client, kind: str, channel_id: str, body: bytes | dict,
                 headers: Optional[dict] = None):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(f"/webhooks/{kind}/{channel_id}", data=raw,
                       headers=headers if headers is not None else signed_headers(channel_id, raw))


@pytest.fixture
def emulator():
    server = EmulatorServer().start()
    yield server
    server.stop()


@pytest.fixture
def inbound_worker():
    """A real worker on the real broker for the inbound, routing and default queues only (no
    media)."""
    from workers.broker import broker

    w = start_worker(queues={"inbound", "routing", "default"})
    yield w
    w.stop()
    for queue in broker.get_declared_queues():
        broker.flush(queue)
