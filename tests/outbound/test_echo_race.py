"""Webhooks about our own message that arrive before `deliver` recorded the provider's id.

The race is made deterministic (tests/outbound/races.py): the real connector sends to the
emulator, and before its answer goes back to `deliver`, another thread posts the provider's
webhook (echo, reaction, status) through the signed endpoint and processes it to the end, as a
fast worker would.
"""
from __future__ import annotations

import pytest

from hub import db as hubdb
from hub import delivery
from hub.models import Message, PendingEvent, PendingStatus, WebhookEvent
from tests.outbound.races import deliver_overlapped, echo, reaction, wa_status


def test_echo_and_reaction_before_the_send_is_recorded_make_no_second_message(
        make_outbox, emulator, webhooks_during_send, db_conn):
    box = make_outbox("messenger")
    psid = "psid-1"
    webhooks_during_send(box, lambda ids: [echo(ids[0], psid, "on its way"),
                                           reaction(ids[0], psid)])
    # Given our message, whose echo and the customer's reaction overtake `deliver`
    message = box.send("on its way")
    # When the delivery records the send
    assert delivery.deliver(message.id).action == "sent"
    # Then there is one outgoing message, with the provider's id and the reaction
    rows = list(Message.select().where(Message.direction == "out"))
    assert [r.id for r in rows] == [message.id]
    assert rows[0].status == "sent" and rows[0].provider_message_id
    assert [r["emoji"] for r in rows[0].payload["reactions"]] == ["\U0001F44D"]
    assert PendingEvent.select().count() == 0
    assert {e.status for e in WebhookEvent.select()} == {"processed"}


def test_message_typed_in_the_providers_app_during_a_send_is_kept(
        make_outbox, emulator, webhooks_during_send, db_conn):
    box = make_outbox("messenger")
    psid = "psid-1"
    # Given an agent writing from Messenger's own app while our send is in flight
    webhooks_during_send(box, lambda ids: [echo("m_typed_in_app", psid, "typed in the app"),
                                           echo(ids[0], psid, "from the hub")])
    message = box.send("from the hub")
    assert delivery.deliver(message.id).action == "sent"
    # Then both exist once: ours, and the app's, inserted once no delivery was in flight
    rows = {r.content: r for r in Message.select().where(Message.direction == "out")}
    assert set(rows) == {"from the hub", "typed in the app"}
    assert rows["typed in the app"].provider_message_id == "m_typed_in_app"
    assert rows["from the hub"].id == message.id
    assert PendingEvent.select().count() == 0


def test_whatsapp_status_before_the_send_is_recorded_is_applied(
        make_outbox, emulator, webhooks_during_send, db_conn):
    box = make_outbox("whatsapp")
    webhooks_during_send(box, lambda ids: [wa_status(ids[0], "delivered", "15550001111")])
    message = box.send("fast status")
    assert delivery.deliver(message.id).action == "sent"
    row = Message.get_by_id(message.id)
    assert row.status == "delivered" and PendingStatus.select().count() == 0
    assert Message.select().count() == 1


def _status_delivered(row: Message) -> None:
    assert row.status == "delivered" and PendingStatus.select().count() == 0


def _thumbs_up(row: Message) -> None:
    assert row.status == "sent" and PendingEvent.select().count() == 0
    assert [r["emoji"] for r in row.payload.get("reactions") or []] == ["\U0001F44D"]


OVERLAPS = {
    "whatsapp status": ("whatsapp", lambda i: wa_status(i, "delivered", "15550001111"),
                        _status_delivered),
    "messenger reaction": ("messenger", lambda i: reaction(i, "psid-1"), _thumbs_up),
}


@pytest.mark.parametrize("overlap", list(OVERLAPS))
def test_webhook_overlapping_the_recording_of_the_send_is_applied(
        app, make_outbox, emulator, monkeypatch, db_conn, overlap):
    """`deliver` (A) records the provider's id and looks for statuses and events parked for it;
    the provider's webhook job (B) looks for the message before A commits and parks before A
    looked. A is held in its transaction right after its last look (`after_delivery`) until
    B is done (or PAUSE passed: B may be waiting for A)."""
    if not hubdb.is_postgres():
        pytest.skip("SQLite runs one write transaction at a time: B cannot overlap A")
    kind, body, applied = OVERLAPS[overlap]
    box = make_outbox(kind)
    message = box.send("fast answer")
    outcomes, errors, ids = deliver_overlapped(app, box, message, monkeypatch,
                                               lambda ids: [body(ids[0])])
    assert outcomes == ["sent"] and not errors, (outcomes, errors)
    # Then it is applied to our message, and nothing is left parked for ever
    row = Message.get_by_id(message.id)
    assert row.provider_message_id == ids[0]
    applied(row)
