"""Delivering agent messages to each provider emulator through a real worker."""
from __future__ import annotations

import pytest

from hub import db as hubdb
from hub.delivery import deliver
from hub.models import DeliveryAttempt


@pytest.mark.parametrize("kind", ["whatsapp", "messenger", "instagram", "telegram"])
def test_a_text_reaches_the_provider_and_the_message_is_sent(kind, make_outbox, emulator,
                                                             worker):
    # given a channel of `kind` on the emulator; when an agent sends through the worker
    box = make_outbox(kind)
    message = box.send("Hello from the hub")
    delivery = box.wait_for(message.id, ("sent", "failed"))
    # expect: sent, with the provider's id, one attempt recorded, the emulator got it once
    assert delivery.status == "sent"
    row = box.message(message.id)
    assert row.status == "sent" and row.provider_message_id
    assert row.payload["providerMessageIds"] == [row.provider_message_id]
    delivered = emulator.state.delivered()
    assert len(delivered) == 1 and delivered[0]["message_id"] == row.provider_message_id
    with hubdb.db.connection_context():
        attempts = list(DeliveryAttempt.select())
    assert [(a.number, a.outcome, a.http_status) for a in attempts] == [(1, "sent", 200)]
    assert attempts[0].latency_ms is not None


def test_deliver_twice_sends_once(make_outbox, emulator, db_conn):
    box = make_outbox("telegram")
    message = box.send("once")
    assert deliver(message.id).action == "sent"
    assert deliver(message.id).action == "skipped"
    assert len(emulator.state.delivered()) == 1
