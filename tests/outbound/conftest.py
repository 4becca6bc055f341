"""Outbound test parts: the provider emulator, channels pointed at it, an agent who sends."""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable, Optional

import pytest
import requests

from connectors.emulators import EmulatorServer
from hub import db as hubdb
from hub.auth import Principal
from hub.contacts import upsert_contact
from hub.conversations import ensure_open_conversation
from hub.crypto import encrypt_json
from hub.events import ContactProfile
from hub.models import Channel, Conversation, Delivery, Message, utcnow
from hub.outbound import send_agent_message

CREDENTIALS = {
    "whatsapp": {"accessToken": "wa-token", "appSecret": "s", "phoneNumberId": "1100"},
    "messenger": {"accessToken": "page-token", "appSecret": "s", "pageId": "2200"},
    "instagram": {"accessToken": "ig-token", "appSecret": "s", "igUserId": "3300"},
    "telegram": {"botToken": "123456:ABCdef"},
}
RECIPIENTS = {"whatsapp": "15550001111", "messenger": "psid-1", "instagram": "igsid-1",
              "telegram": "777001"}


@pytest.fixture
def emulator():
    with EmulatorServer() as server:
        yield server


def faults(emulator: EmulatorServer, *rules: dict[str, Any]) -> None:
    """Install fault rules through the emulator's HTTP control API."""
    response = requests.post(f"{emulator.url}/_emulator/faults", json={"faults": list(rules)})
    assert response.status_code == 200, response.text


@dataclass
class Outbox:
    """A company's channel on the emulator, one contact on it and an agent who writes to it."""

    tenant: Any
    channel: Channel
    conversation: Conversation
    principal: Principal

    def send(self, content: str = "hello", **kwargs: Any) -> Message:
        with hubdb.db.connection_context():
            conversation = Conversation.get_by_id(self.conversation.id)
            return send_agent_message(self.principal, conversation, content=content, **kwargs)

    def delivery(self, message_id: str) -> Delivery:
        with hubdb.db.connection_context():
            return Delivery.get(Delivery.message == message_id)

    def message(self, message_id: str) -> Message:
        with hubdb.db.connection_context():
            return Message.get_by_id(message_id)

    def wait_for(self, message_id: str, statuses: tuple[str, ...], timeout: float = 30
                 ) -> Delivery:
        """Poll until the delivery reaches one of `statuses` (the worker runs elsewhere)."""
        deadline = time.monotonic() + timeout
        while True:
            row = self.delivery(message_id)
            if row.status in statuses or time.monotonic() > deadline:
                return row
            time.sleep(0.05)


@pytest.fixture
def make_outbox(make_tenant, emulator) -> Callable[..., Outbox]:
    def make(kind: str = "whatsapp", *, recipient: Optional[str] = None,
             last_customer_hours: Optional[float] = 1, tenant: Any = None,
             **settings: Any) -> Outbox:
        tenant = tenant or make_tenant()
        base = emulator.url if kind == "telegram" else f"{emulator.url}/v21.0"
        with hubdb.db.connection_context():
            channel = Channel.create(
                company=tenant.company, kind=kind, name=f"{kind} line",
                credentials_encrypted=encrypt_json(CREDENTIALS[kind]),
                settings={"apiBaseUrl": base, "httpTimeout": 2, "retryBaseSeconds": 0.05,
                          **settings})
            contact = upsert_contact(tenant.company.id, channel.id,
                                     ContactProfile(external_id=recipient or RECIPIENTS[kind],
                                                    name="Customer"))
            conversation, _ = ensure_open_conversation(tenant.company.id, channel.id, contact.id)
            if last_customer_hours is not None:
                Conversation.update(last_customer_message_at=utcnow() - timedelta(
                    hours=last_customer_hours)).where(Conversation.id == conversation.id).execute()
            conversation = Conversation.get_by_id(conversation.id)
        principal = Principal(user_id=tenant.admin.id, company_id=tenant.company.id,
                              role="admin")
        return Outbox(tenant, channel, conversation, principal)

    return make


@pytest.fixture
def webhooks_during_send(app, monkeypatch) -> Callable:
    """`install(box, bodies)`: the next sends run `bodies(provider_ids)` through the hub before
    `deliver` sees the provider's answer (tests/outbound/races.py)."""
    from tests.outbound.races import webhooks_during_send as install_on

    return install_on(app, monkeypatch)
