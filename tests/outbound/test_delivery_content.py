"""What reaches the provider: split texts, uploaded media, templates, tags, partial retries."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from hub import db as hubdb
from hub.attachments import store_file
from hub.delivery import deliver
from hub.errors import Unprocessable
from hub.models import Delivery, Message, utcnow
from hub.read_receipts import mark_read_on_provider
from tests.outbound.conftest import faults

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")
OGG = b"OggS" + b"\x00" * 60


def _attach(box, content, name):
    with hubdb.db.connection_context():
        return store_file(box.tenant.company.id, content, name).id


def _pass_then_fail(match: str, provider: str = "all") -> list[dict]:
    """The first matching request goes through, the second fails with a 5xx."""
    return [{"type": "latency", "latencyMs": 0, "next": 1, "match": match, "provider": provider},
            {"type": "http_5xx", "status": 503, "next": 1, "match": match,
             "provider": provider}]


def _due(message_id: str) -> None:
    Delivery.update(next_attempt_at=utcnow()).where(Delivery.message == message_id).execute()


def test_long_telegram_text_is_split_and_a_retry_sends_only_the_rest(make_outbox, emulator,
                                                                     db_conn):
    # given a text of three Telegram messages, and a 5xx on the second part
    box = make_outbox("telegram")
    text = "\n\n".join(["a" * 4000, "b" * 4000, "c" * 100])
    faults(emulator, *_pass_then_fail("sendMessage", "telegram"))
    message = box.send(text)
    assert deliver(message.id).action == "retrying"
    assert len(box.message(message.id).payload["providerMessageIds"]) == 1
    # when the retry comes
    _due(message.id)
    assert deliver(message.id).action == "sent"
    # expect: every part once, in order, the first id as the message's id
    delivered = emulator.state.delivered("telegram")
    assert [d["body"]["text"][0] for d in delivered] == ["a", "b", "c"]
    assert emulator.state.duplicates() == 0
    row = box.message(message.id)
    assert row.payload["providerMessageIds"] == [d["message_id"] for d in delivered]
    assert row.provider_message_id == delivered[0]["message_id"]


def test_whatsapp_text_and_audio_retry_skips_the_text(make_outbox, emulator, db_conn):
    box = make_outbox("whatsapp")
    faults(emulator, *_pass_then_fail("/messages"))
    message = box.send("listen to this", attachment_ids=[_attach(box, OGG, "note.ogg")])
    assert deliver(message.id).action == "retrying"
    _due(message.id)
    assert deliver(message.id).action == "sent"
    bodies = [d["body"] for d in emulator.state.delivered("whatsapp")]
    assert [b["type"] for b in bodies] == ["text", "audio"]
    assert bodies[1]["audio"]["id"]  # uploaded, sent by media id
    assert emulator.state.duplicates() == 0


def test_messenger_image_goes_by_upload_with_the_text_first(make_outbox, emulator, db_conn):
    box = make_outbox("messenger")
    message = box.send("a picture", attachment_ids=[_attach(box, PNG, "pic.png")])
    assert deliver(message.id).action == "sent"
    bodies = [d["body"] for d in emulator.state.delivered("graph")]
    assert len(bodies) == 2 and bodies[0]["message"] == {"text": "a picture"}
    assert bodies[1]["message"]["attachment"]["payload"]["filename"] == "pic.png"
    stored = bodies[1]["message"]["attachment"]["payload"]["attachment_id"]
    assert emulator.state.get_media(stored).content == PNG
    assert len(box.message(message.id).payload["providerMessageIds"]) == 2


def test_telegram_photo_is_uploaded_with_the_caption(make_outbox, emulator, db_conn):
    box = make_outbox("telegram")
    message = box.send("caption here", attachment_ids=[_attach(box, PNG, "pic.png")])
    assert deliver(message.id).action == "sent"
    [sent] = emulator.state.delivered("telegram")
    assert sent["body"]["caption"] == "caption here" and sent["body"]["photo"]["filename"]


def test_instagram_media_goes_by_signed_public_link(make_outbox, emulator, db_conn, client):
    box = make_outbox("instagram")
    message = box.send("", attachment_ids=[_attach(box, PNG, "pic.png")])
    assert deliver(message.id).action == "sent"
    [sent] = emulator.state.delivered("graph")
    url = sent["body"]["message"]["attachment"]["payload"]["url"]
    path = url.split("127.0.0.1:5000", 1)[1]
    assert client.get(path).data == PNG  # the provider can fetch it without a token
    assert client.get(path.replace("sig=", "sig=0")).status_code == 404
    # A forged signature with non-ASCII characters is a 404 too, not a 500.
    assert client.get(path.replace("sig=", "sig=%C3%82")).status_code == 404


def test_whatsapp_template_and_reply_context_reach_the_provider(make_outbox, emulator, db_conn):
    box = make_outbox("whatsapp", last_customer_hours=48)
    template = {"name": "order_update", "language": "en_US", "components": [
        {"type": "body", "parameters": [{"type": "text", "text": "#42"}]}]}
    message = box.send("", template=template)
    assert deliver(message.id).action == "sent"
    [sent] = emulator.state.delivered("whatsapp")
    assert sent["body"]["type"] == "template"
    assert sent["body"]["template"]["name"] == "order_update"
    assert sent["body"]["template"]["language"] == {"code": "en_US"}
    assert sent["body"]["template"]["components"][0]["parameters"][0]["text"] == "#42"


def test_reply_to_carries_the_original_provider_id(make_outbox, emulator, db_conn):
    box = make_outbox("whatsapp")
    original = Message.create(company=box.tenant.company.id, conversation=box.conversation.id,
                              channel=box.channel.id, provider_message_id="wamid.ORIGINAL",
                              direction="in", sender_type="customer", content="hi")
    message = box.send("answer", reply_to_id=original.id)
    deliver(message.id)
    [sent] = emulator.state.delivered("whatsapp")
    assert sent["body"]["context"] == {"message_id": "wamid.ORIGINAL"}


def test_whatsapp_outside_24_hours_needs_a_template(make_outbox, db_conn):
    box = make_outbox("whatsapp", last_customer_hours=25)
    with pytest.raises(Unprocessable) as err:
        box.send("free form")
    assert err.value.code == "template_required"


@pytest.mark.parametrize("kind", ["messenger", "instagram"])
def test_meta_between_1_and_7_days_sends_with_the_human_agent_tag(kind, make_outbox, emulator,
                                                                  worker):
    box = make_outbox(kind, last_customer_hours=72)
    message = box.send("following up")
    assert box.wait_for(message.id, ("sent", "failed")).status == "sent"
    [sent] = emulator.state.delivered("graph")
    assert (sent["body"]["messaging_type"], sent["body"]["tag"]) == ("MESSAGE_TAG",
                                                                     "HUMAN_AGENT")


@pytest.mark.parametrize("kind", ["messenger", "instagram"])
def test_meta_after_7_days_refuses_the_reply(kind, make_outbox, db_conn):
    box = make_outbox(kind, last_customer_hours=24 * 8)
    with pytest.raises(Unprocessable) as err:
        box.send("too late")
    assert err.value.code == "window_closed"


def test_two_workers_racing_send_once(make_outbox, emulator, db_conn):
    box = make_outbox("whatsapp")
    faults(emulator, {"type": "latency", "latencyMs": 300})
    message = box.send("race")
    results = []

    def run():
        with hubdb.db.connection_context():
            results.append(deliver(message.id).action)

    threads = [threading.Thread(target=run) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(results) == ["sent", "skipped", "skipped", "skipped"]
    assert len(emulator.state.delivered()) == 1


def test_pending_status_is_applied_when_the_send_is_recorded(make_outbox, emulator, db_conn):
    # the provider's "delivered" may arrive before the worker recorded the send
    from hub.messages import apply_status

    box = make_outbox("whatsapp")
    message = box.send("fast status")
    deliver(message.id)
    row = box.message(message.id)
    apply_status(box.channel.id, row.provider_message_id, "delivered", utcnow())
    assert box.message(message.id).status == "delivered"


def test_mark_read_on_provider_marks_the_newest_whatsapp_message(make_outbox, emulator, db_conn):
    box = make_outbox("whatsapp")
    ids = []
    for n in range(3):
        ids.append(Message.create(
            company=box.tenant.company.id, conversation=box.conversation.id,
            channel=box.channel.id, provider_message_id=f"wamid.IN{n}", direction="in",
            sender_type="customer", content=f"m{n}",
            timestamp=utcnow() - timedelta(seconds=10 - n)).id)
    assert mark_read_on_provider(ids) == 1
    reads = [r["body"] for r in emulator.state.received_by("whatsapp")]
    assert reads == [{"messaging_product": "whatsapp", "status": "read",
                      "message_id": "wamid.IN2"}]


def test_mark_read_is_a_no_op_for_telegram(make_outbox, emulator, db_conn):
    box = make_outbox("telegram")
    m = Message.create(company=box.tenant.company.id, conversation=box.conversation.id,
                       channel=box.channel.id, provider_message_id="777001:5", direction="in",
                       sender_type="customer", content="hi")
    assert mark_read_on_provider([m.id]) == 0
    assert emulator.state.received == []


def test_parts_of_a_long_telegram_text_keep_the_chat_limit(make_outbox, emulator, db_conn):
    # given a text of three messages to one chat (1 message/s per chat)
    box = make_outbox("telegram")
    message = box.send("\n\n".join(["x" * 4000, "y" * 4000, "z" * 4000]))
    assert deliver(message.id).action == "sent"
    # expect: every part is a message of its own, at least a second after the previous one
    arrivals = [r["time"] for r in emulator.state.received_by("telegram")]
    assert len(arrivals) == 3
    assert all(b - a >= 1.0 for a, b in zip(arrivals, arrivals[1:])), arrivals
