"""Edits, deletions and reactions that overtake their message are parked, then applied."""
from __future__ import annotations

from hub import inbound
from hub.models import Message, PendingEvent, WebhookEvent
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
