"""A message the provider took as several messages: webhooks for any part reach the message.

Text with a voice note goes to WhatsApp as two messages, text with a picture to Messenger as
two; only the first id is the message's own (`provider_message_id`), the others are
`MessagePart` rows. Before them, a status for the second part stayed parked for good, and
Messenger's echo of the picture became a second agent message.
"""
from __future__ import annotations

import pytest

from hub import db as hubdb
from hub import delivery
from hub.attachments import store_file
from hub.models import Conversation, Message, MessagePart, PendingStatus
from tests.outbound.races import deliver_overlapped, echo, process, reaction, wa_status

OGG = b"OggS" + b"\x00" * 60
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")


def _two_part_message(box, content: bytes, name: str) -> Message:
    with hubdb.db.connection_context():
        attachment = store_file(box.tenant.company.id, content, name)
    return box.send("see this", attachment_ids=[attachment.id])


def _two_part_send(box, content: bytes, name: str) -> Message:
    message = _two_part_message(box, content, name)
    assert delivery.deliver(message.id).action == "sent"
    row = Message.get_by_id(message.id)
    assert len(row.payload["providerMessageIds"]) == 2
    return row


def test_status_of_the_second_part_reaches_the_message(app, make_outbox, emulator, db_conn):
    # given a text and a voice note sent as two WhatsApp messages
    box = make_outbox("whatsapp")
    row = _two_part_send(box, OGG, "note.ogg")
    first, second = row.payload["providerMessageIds"]
    assert row.provider_message_id == first
    assert [p.provider_message_id for p in MessagePart.select()] == [second]
    # when WhatsApp reports the voice note (the second part) delivered
    errors: list[BaseException] = []
    process(app, box, [wa_status(second, "delivered", "15550001111")], errors)
    assert not errors, errors
    # then the message is delivered, and nothing waits parked
    assert Message.get_by_id(row.id).status == "delivered"
    assert PendingStatus.select().count() == 0


def test_status_of_the_second_part_before_the_send_is_recorded_is_applied(
        make_outbox, emulator, webhooks_during_send, db_conn):
    # given statuses for both parts that overtake `deliver` (parked: no message has the ids)
    box = make_outbox("whatsapp")
    webhooks_during_send(box, lambda ids: [wa_status(ids[-1], "read", "15550001111")]
                         if len(ids) > 1 else [])
    row = _two_part_send(box, OGG, "note.ogg")
    # then recording the send applied the second part's parked status
    assert row.status == "read" and PendingStatus.select().count() == 0


def test_echo_and_reaction_of_the_second_part_land_on_the_message(app, make_outbox, emulator,
                                                                   db_conn):
    # given a text and a picture sent as two Messenger messages
    box = make_outbox("messenger")
    row = _two_part_send(box, PNG, "pic.png")
    second = row.payload["providerMessageIds"][1]
    # when Messenger echoes the picture and the customer reacts to it
    errors: list[BaseException] = []
    process(app, box, [echo(second, "psid-1", ""), reaction(second, "psid-1")], errors)
    assert not errors, errors
    # then there is still one outgoing message, and the reaction is on it
    outgoing = list(Message.select().where(Message.direction == "out"))
    assert [m.id for m in outgoing] == [row.id]
    assert [r["emoji"] for r in outgoing[0].payload["reactions"]] == ["\U0001F44D"]


def test_late_echo_of_a_stored_message_opens_no_conversation(app, make_outbox, emulator,
                                                             db_conn):
    # given our Messenger message, sent, and its conversation closed since
    box = make_outbox("messenger")
    message = box.send("thanks, bye")
    assert delivery.deliver(message.id).action == "sent"
    mid = Message.get_by_id(message.id).provider_message_id
    Conversation.update(status="closed").where(Conversation.id == box.conversation.id).execute()
    # when Messenger's echo of it comes late (a redelivery, or a replayed event)
    errors: list[BaseException] = []
    process(app, box, [echo(mid, "psid-1", "thanks, bye")], errors)
    assert not errors, errors
    # then nothing reopens: no new, empty conversation
    assert [c.status for c in Conversation.select()] == ["closed"]
    assert Message.select().count() == 1


def test_status_of_the_second_part_overlapping_the_recording_is_applied(
        app, make_outbox, emulator, monkeypatch, db_conn):
    """`deliver` (A) records both ids and looks for statuses parked for them; the status job
    for the second part (B) misses the uncommitted part row meanwhile. Both take the part id's
    lock (`record_parts`, `find_or_lock`), so B waits for A's commit and then finds the
    message, instead of parking a status nobody would look for again."""
    if not hubdb.is_postgres():
        pytest.skip("SQLite runs one write transaction at a time: B cannot overlap A")
    box = make_outbox("whatsapp")
    message = _two_part_message(box, OGG, "note.ogg")
    # Given `deliver` recording both ids, when WhatsApp's status for the second part is
    # processed meanwhile
    outcomes, errors, ids = deliver_overlapped(
        app, box, message, monkeypatch,
        lambda ids: [wa_status(ids[1], "delivered", "15550001111")])
    assert len(ids) == 2
    assert outcomes == ["sent"] and not errors, (outcomes, errors)
    # Then the message is delivered, and nothing is left parked for ever
    assert Message.get_by_id(message.id).status == "delivered"
    assert PendingStatus.select().count() == 0
