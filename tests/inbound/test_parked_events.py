"""Edits, deletions and reactions that overtake their message are parked, then applied."""
from __future__ import annotations

import threading
from typing import Callable

import pytest

from hub import db as hubdb
from hub import inbound, inbound_apply
from hub.models import Message, PendingEvent, PendingStatus, WebhookEvent
from tests.inbound.conftest import CREDENTIALS, create_channel, post_webhook

PAGE = CREDENTIALS["messenger"]["pageId"]
PSID = "6748202618560327"


def _body(**item) -> dict:
    item = {"sender": {"id": PSID}, "recipient": {"id": PAGE}, **item}
    return {"object": "page", "entry": [{"id": PAGE, "time": item["timestamp"],
                                         "messaging": [item]}]}


def message(mid: str, text: str, ms: int) -> dict:
    return _body(timestamp=ms, message={"mid": mid, "text": text})


def reaction(mid: str, emoji: str, ms: int) -> dict:
    return _body(timestamp=ms, reaction={"mid": mid, "action": "react", "reaction": "love",
                                         "emoji": emoji})


def edit(mid: str, text: str, ms: int) -> dict:
    return _body(timestamp=ms, message_edit={"mid": mid, "text": text, "num_edit": 1})


def deletion(mid: str, ms: int) -> dict:
    return _body(timestamp=ms, message={"mid": mid, "is_deleted": True})


def echo(mid: str, text: str, ms: int) -> dict:
    """Our page's own message as Messenger echoes it (stored `sent`, direction out)."""
    return _body(timestamp=ms, sender={"id": PAGE}, recipient={"id": PSID},
                 message={"mid": mid, "is_echo": True, "app_id": 1, "text": text})


def delivered(mid: str, ms: int) -> dict:
    return _body(timestamp=ms, delivery={"mids": [mid], "watermark": ms})


def _process(client, channel, bodies) -> list[str]:
    ids = []
    for body in bodies:
        answer = post_webhook(client, "messenger", channel["id"], body)
        assert answer.status_code == 200
        ids.append(answer.get_json()["eventId"])
        assert inbound.process_webhook_event(ids[-1]) == "processed"
    return ids


def test_reaction_edit_and_deletion_before_their_message_are_applied_on_arrival(
        client, tenant, emulator, db_conn):
    channel = create_channel(client, tenant, "messenger", emulator)
    t = 1718031600000
    # Given a reaction and an edit of m_A, and the unsend of m_B, processed before m_A and m_B
    early = _process(client, channel, [reaction("m_A", "\u2764", t + 3000),
                                       edit("m_A", "see you at 6", t + 2000),
                                       deletion("m_B", t + 4000)])
    assert Message.select().count() == 0 and PendingEvent.select().count() == 3
    # When the messages arrive
    late = _process(client, channel, [message("m_A", "see you at 5", t),
                                      message("m_B", "oops", t + 1000)])
    # Then each waiting event is applied once, and nothing stays parked
    a = Message.get(Message.provider_message_id == "m_A")
    b = Message.get(Message.provider_message_id == "m_B")
    assert a.content == "see you at 6" and a.edited_at is not None
    assert [h["content"] for h in a.payload["editHistory"]] == ["see you at 5"]
    assert [(r["by"], r["emoji"]) for r in a.payload["reactions"]] == [(PSID, "\u2764")]
    assert b.deleted_at is not None and b.content == "oops"
    assert PendingEvent.select().count() == 0
    # And a rerun of every job (redelivery, replay) changes nothing
    WebhookEvent.update(status="pending").execute()
    for event_id in early + late:
        inbound.process_webhook_event(event_id)
    a = Message.get(Message.provider_message_id == "m_A")
    assert a.content == "see you at 6" and len(a.payload["editHistory"]) == 1
    assert len(a.payload["reactions"]) == 1 and Message.select().count() == 2


# Seconds the job storing a message waits, inside its transaction, for the racing job.
PAUSE = 1.0
T = 1718031600000


def _stored_then_delivered(message_row: Message) -> None:
    assert message_row.status == "delivered" and message_row.delivered_at is not None
    assert PendingStatus.select().count() == 0


def _reacted(message_row: Message) -> None:
    assert [r["emoji"] for r in message_row.payload.get("reactions") or []] == ["\u2764"]
    assert PendingEvent.select().count() == 0


def _edited(message_row: Message) -> None:
    assert message_row.content == "see you at 6" and message_row.edited_at is not None
    assert PendingEvent.select().count() == 0


def _deleted(message_row: Message) -> None:
    assert message_row.deleted_at is not None
    assert PendingEvent.select().count() == 0


RACES = {
    "status of our echoed message": (echo("m_R", "sent from the page", T),
                                     delivered("m_R", T + 500), _stored_then_delivered),
    "reaction": (message("m_R", "see you at 5", T), reaction("m_R", "\u2764", T + 500),
                 _reacted),
    "edit": (message("m_R", "see you at 5", T), edit("m_R", "see you at 6", T + 500), _edited),
    "deletion": (message("m_R", "see you at 5", T), deletion("m_R", T + 500), _deleted),
}


@pytest.mark.parametrize("race", list(RACES))
def test_event_parked_while_its_message_is_being_stored_is_applied(
        app, tenant, emulator, monkeypatch, race):
    """The job storing the message (A) and the job parking a status or event for it (B)
    overlap: B looks for the message before A commits, A looks for parked rows before B
    commits. A is held in its transaction right after that check until B is done (or PAUSE
    passed: B may be waiting for A)."""
    if not hubdb.is_postgres():
        pytest.skip("SQLite runs one write transaction at a time: B cannot overlap A")
    first, second, applied = RACES[race]
    client = app.test_client()
    channel = create_channel(client, tenant, "messenger", emulator)
    a_id, b_id = (post_webhook(client, "messenger", channel["id"], body).get_json()["eventId"]
                  for body in (first, second))
    a_checked, b_done = threading.Event(), threading.Event()
    check = inbound_apply.waiting_for

    def check_then_pause(*args):
        found = check(*args)
        if threading.current_thread().name == "A":
            a_checked.set()
            b_done.wait(PAUSE)
        return found

    monkeypatch.setattr(inbound_apply, "waiting_for", check_then_pause)
    results: dict[str, object] = {}

    def job(event_id: str, done: threading.Event | None = None) -> None:
        try:
            with hubdb.db.connection_context():  # a worker thread's own connection
                results[threading.current_thread().name] = inbound.process_webhook_event(
                    event_id)
        except BaseException as exc:  # reported in the test's thread
            results[threading.current_thread().name] = exc
        finally:
            if done is not None:
                done.set()

    # Given job A inside its transaction: the message inserted, nothing found waiting for it
    a = threading.Thread(target=job, args=(a_id,), name="A")
    a.start()
    assert a_checked.wait(10), results
    # When job B processes the status (or event) for that message meanwhile
    b = threading.Thread(target=job, args=(b_id, b_done), name="B")
    b.start()
    a.join(10)
    b.join(10)
    assert results == {"A": "processed", "B": "processed"}
    # Then it is applied to the message, and nothing is left parked for ever
    with hubdb.db.connection_context():
        applied(Message.get(Message.provider_message_id == "m_R"))
        assert Message.select().count() == 1
