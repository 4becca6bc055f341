"""Telegram connector: every fixture parsed, secret token, sends and files against the emulator."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.base import (ChannelConfig, OutboundMedia, OutboundMessage, PermanentSendError,
                             TransientSendError)
from connectors.emulators import EmulatorServer
from connectors.registry import get_connector
from connectors.telegram import delete_webhook, get_updates, webhook_info
from connectors.telegram.outbound import split_text, utf16_len
from hub.events import MediaRef

FIXTURES = Path(__file__).resolve().parents[2] / "connectors" / "telegram" / "fixtures"
TOKEN = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
ALICE = {"contact.external_id": "123456789", "contact.name": "Alice Martin",
         "contact.username": "alice_m", "sender_name": None}

# What each fixture must parse to: the event class, then attributes by dotted path.
EXPECTED: dict[str, dict[str, Any]] = {
    "message__text": {"cls": "InboundMessage", **ALICE, "provider_message_id": "123456789:101",
                      "message_type": "text", "text": "Hello, I need help with my order #4521",
                      "timestamp": datetime(2024, 6, 10, 6, 13, 20), "media": []},
    "message__text_non_ascii": {"cls": "InboundMessage", "contact.name": "José Müller-Ñúñez",
                                "provider_message_id": "234567891:7",
                                "text": "¿Dónde está mi pedido? 😀 Привет, 你好"},
    "message__text_command": {"cls": "InboundMessage", "text": "/start",
                              "payload.entities.0.type": "bot_command"},
    "message__photo": {"cls": "InboundMessage", **ALICE, "message_type": "image",
                       "text": "The box arrived damaged", "media.0.kind": "image",
                       "media.0.provider_media_id": "AgACAgIAAxkBAAIBZ2ZmYWxpY2VfbGFyZ2UAAg",
                       "media.0.size": 96512, "payload.width": 1280},
    "message__document": {"cls": "InboundMessage", "message_type": "document", "text": None,
                          "media.0.kind": "document", "media.0.filename": "invoice-4521.pdf",
                          "media.0.mime_type": "application/pdf",
                          "media.0.provider_media_id": "BQACAgIAAxkBAAIBaGZmaW52b2ljZQACAg"},
    "message__voice": {"cls": "InboundMessage", "message_type": "voice", "media.0.kind": "voice",
                       "media.0.mime_type": "audio/ogg", "payload.duration": 4},
    "message__audio": {"cls": "InboundMessage", "message_type": "audio", "media.0.kind": "audio",
                       "media.0.filename": "recording.mp3", "payload.title": "Call recording"},
    "message__video": {"cls": "InboundMessage", "message_type": "video", "media.0.kind": "video",
                       "text": "See how it looks", "media.0.size": 5242880},
    "message__sticker": {"cls": "InboundMessage", "message_type": "sticker",
                         "media.0.kind": "sticker", "media.0.mime_type": "image/webp",
                         "payload.emoji": "👍"},
    "message__location": {"cls": "InboundMessage", "message_type": "location",
                          "payload.latitude": 48.858844, "payload.longitude": 2.294351},
    "message__venue": {"cls": "InboundMessage", "message_type": "location",
                       "payload.name": "Acme Store Mitte", "payload.latitude": 52.520008},
    "message__contact": {"cls": "InboundMessage", "message_type": "contacts",
                         "payload.contacts.0.phones.0.phone": "+4915123456789",
                         "payload.contacts.0.name.formatted_name": "Carla Weber"},
    "message__reply": {"cls": "InboundMessage", "provider_message_id": "123456789:112",
                       "reply_to_provider_id": "123456789:41", "text": "Yes, that one"},
    "message__group": {"cls": "InboundMessage", "contact.external_id": "-1001987654321",
                       "contact.name": "Acme Support Group", "sender_name": "Bob Stone",
                       "provider_message_id": "-1001987654321:5001"},
    "message__group_photo": {"cls": "InboundMessage", "sender_name": "Bob Stone",
                             "message_type": "image",
                             "media.0.provider_media_id": "AgACAgIAAxkBAAIBbWZmZ3JvdXBfYmlnAAg"},
    "message__unsupported_poll": {"cls": "Ignored", "event_type": "message"},
    "edited_message__text": {"cls": "MessageEdit", **{k: v for k, v in ALICE.items()
                                                      if k != "sender_name"},
                             "provider_message_id": "123456789:101",
                             "text": "Hello, I need help with my order #4522",
                             "timestamp": datetime(2024, 6, 10, 6, 18, 20)},
    "callback_query__button": {"cls": "InboundMessage", **ALICE,
                               "provider_message_id": "cb:530165846302827156",
                               "message_type": "interactive", "text": "rate:5",
                               "reply_to_provider_id": "123456789:42",
                               "payload.callback_query_id": "530165846302827156"},
    "my_chat_member__ignored": {"cls": "Ignored", "event_type": "my_chat_member",
                                "reason": "ignored"},
    "channel_post__ignored": {"cls": "Ignored", "event_type": "channel_post"},
    "poll__ignored": {"cls": "Ignored", "event_type": "poll"},
}

connector = get_connector("telegram")


def _dig(obj: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(obj, list):
            obj = obj[int(part)]
        elif isinstance(obj, dict):
            obj = obj[part]
        else:
            obj = getattr(obj, part)
    return obj


def _fixture_names() -> list[str]:
    return sorted(p.stem for p in FIXTURES.glob("*.json"))


def test_every_expectation_has_a_fixture() -> None:
    assert set(EXPECTED) <= set(_fixture_names())


@pytest.mark.parametrize("name", _fixture_names())
def test_fixture_parses_to_expected_event(name: str) -> None:
    # Given a recorded update, when parsed, then one event with the expected fields.
    assert name in EXPECTED, f"fixture {name} has no entry in EXPECTED"
    raw = (FIXTURES / f"{name}.json").read_bytes()
    payload = json.loads(raw)
    events = connector.parse(payload)
    assert len(events) == 1
    event, expected = events[0], dict(EXPECTED[name])
    assert type(event).__name__ == expected.pop("cls")
    for path, value in expected.items():
        assert _dig(event, path) == value, path
    assert connector.dedupe_key(raw, payload) == str(payload["update_id"])


def _channel(base: str = "", token: str = TOKEN, **settings: Any) -> ChannelConfig:
    return ChannelConfig(id="ch1", kind="telegram", credentials={"botToken": token},
                         settings={"apiBaseUrl": base, **settings}, secret_token="s3cr3t_T0k-en")


def test_secret_token_header_checked_case_insensitively() -> None:
    ch = _channel()
    assert connector.verify_signature(ch, {"x-telegram-bot-api-secret-token": "s3cr3t_T0k-en"},
                                      b"{}")
    assert not connector.verify_signature(ch, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}, b"{}")
    assert not connector.verify_signature(ch, {}, b"{}")
    no_secret = ChannelConfig(id="c", kind="telegram", credentials={}, settings={})
    assert not connector.verify_signature(no_secret, {"X-Telegram-Bot-Api-Secret-Token": ""}, b"")


def test_generated_secret_token_uses_allowed_characters() -> None:
    token = connector.generated_credentials()["secretToken"]
    assert len(token) >= 32 and all(c.isalnum() or c in "_-" for c in token)
    assert connector.required_credentials() == ("botToken",)


def test_split_prefers_paragraphs_and_respects_utf16_limit() -> None:
    text = ("a" * 3000 + "\n\n") + ("b" * 3000 + "\n") + "c" * 100
    assert split_text(text) == ["a" * 3000, "b" * 3000 + "\n" + "c" * 100]
    emoji = split_text("😀" * 3000)  # each emoji is two UTF-16 units
    assert all(utf16_len(c) <= 4096 for c in emoji) and "".join(emoji) == "😀" * 3000
    assert split_text("word " * 2000)[0].endswith("word")


@pytest.fixture()
def emulator():
    with EmulatorServer() as server:
        yield server


@pytest.fixture()
def http():
    with requests.Session() as session:
        yield session


def test_send_text_and_reply(emulator: EmulatorServer, http: requests.Session) -> None:
    ch = _channel(emulator.url)
    first = connector.send(ch, OutboundMessage(recipient_id="123456789", text="Hi Alice"), http)
    assert first.provider_message_ids == ["123456789:1"]
    second = connector.send(ch, OutboundMessage(recipient_id="123456789", text="Again",
                                                reply_to_provider_id="123456789:1"), http)
    assert second.provider_message_ids == ["123456789:2"]
    body = emulator.state.received_by("telegram")[-1]["body"]
    assert body["reply_parameters"]["message_id"] == 1
    assert body["text"] == "Again"


def test_long_text_is_split_into_several_messages(emulator: EmulatorServer,
                                                  http: requests.Session) -> None:
    text = "\n\n".join(f"Paragraph {i}. " + "lorem ipsum " * 150 for i in range(6))
    result = connector.send(_channel(emulator.url), OutboundMessage("-1001987654321", text), http)
    sent = [d["body"]["text"] for d in emulator.state.delivered("telegram")]
    assert len(result.provider_message_ids) == len(sent) > 1
    assert result.provider_message_ids[0] == "-1001987654321:1"
    assert all(len(s) <= 4096 for s in sent) and sent[1].startswith("Paragraph")


def test_media_by_url_upload_and_long_caption(emulator: EmulatorServer,
                                              http: requests.Session) -> None:
    emulator.state.add_media("att1", b"\xff\xd8jpeg", "image/jpeg")
    ch = _channel(emulator.url)
    by_url = OutboundMessage("123456789", text="Your receipt", media=[
        OutboundMedia(kind="image", url=f"{emulator.url}/_attachments/att1")])
    assert len(connector.send(ch, by_url, http).provider_message_ids) == 1
    upload = OutboundMessage("123456789", media=[
        OutboundMedia(kind="voice", content=b"OggS...", filename="note.ogg",
                      mime_type="audio/ogg"),
        OutboundMedia(kind="document", content=b"%PDF", filename="a.pdf",
                      caption="x" * 1500)])
    result = connector.send(ch, upload, http)
    paths = [r["path"].rsplit("/", 1)[-1] for r in emulator.state.received_by("telegram")]
    assert paths == ["sendPhoto", "sendVoice", "sendDocument", "sendMessage"]
    assert len(result.provider_message_ids) == 3
    delivered = emulator.state.delivered("telegram")
    assert delivered[0]["body"]["caption"] == "Your receipt"
    assert "caption" not in delivered[2]["body"] and delivered[3]["body"]["text"] == "x" * 1500


@pytest.mark.parametrize("fault, error, code, retry_after", [
    ({"type": "rate_limit", "retryAfter": 7}, TransientSendError, "429", 7.0),
    ({"type": "http_5xx", "status": 502}, TransientSendError, "502", None),
    ({"type": "error_code", "code": 403, "message": "Forbidden: bot was blocked by the user"},
     PermanentSendError, "403", None),
    ({"type": "error_code", "code": 400, "message": "Bad Request: chat not found"},
     PermanentSendError, "400", None),
])
def test_provider_errors_are_classified(emulator: EmulatorServer, http: requests.Session,
                                        fault: dict, error: type, code: str,
                                        retry_after: float | None) -> None:
    emulator.state.faults.configure([{**fault, "provider": "telegram", "next": 1}])
    with pytest.raises(error) as info:
        connector.send(_channel(emulator.url), OutboundMessage("123456789", text="hi"), http)
    assert info.value.code == code and info.value.retry_after == retry_after
    assert emulator.state.delivered("telegram") == []


def test_timeout_and_bad_token(emulator: EmulatorServer, http: requests.Session) -> None:
    emulator.state.faults.configure([{"type": "timeout", "timeoutMs": 1500, "next": 1}])
    with pytest.raises(TransientSendError) as info:
        connector.send(_channel(emulator.url, httpTimeout=0.3),
                       OutboundMessage("1", text="hi"), http)
    assert info.value.code == "timeout"
    emulator.state.set_tokens("telegram", {TOKEN})
    with pytest.raises(PermanentSendError) as denied:
        connector.send(_channel(emulator.url, token="1:wrong"), OutboundMessage("1", "x"), http)
    assert denied.value.code == "401" and denied.value.reason == "Unauthorized"


def test_download_media_via_get_file(emulator: EmulatorServer, http: requests.Session) -> None:
    emulator.state.add_media("BQACfile", b"%PDF-1.4 data", "application/octet-stream",
                             file_path="documents/file_9.pdf")
    ch = _channel(emulator.url)
    got = connector.download_media(ch, MediaRef(kind="document", provider_media_id="BQACfile"),
                                   http)
    assert got.content == b"%PDF-1.4 data"
    assert got.mime_type == "application/pdf" and got.filename == "file_9.pdf"
    with pytest.raises(PermanentSendError):
        connector.download_media(ch, MediaRef(kind="image", provider_media_id="nope"), http)


def test_webhook_lifecycle_and_polling(emulator: EmulatorServer, http: requests.Session) -> None:
    ch = _channel(emulator.url)
    connector.on_connect(ch, "https://hub.example/webhooks/telegram/ch1", http)
    info = webhook_info(ch, http)
    assert info["url"] == "https://hub.example/webhooks/telegram/ch1"
    assert info["allowed_updates"] == ["message", "edited_message", "callback_query"]
    assert emulator.state.bot(TOKEN).webhook["secret_token"] == "s3cr3t_T0k-en"
    with pytest.raises(PermanentSendError) as conflict:
        get_updates(ch, http)
    assert conflict.value.code == "409"
    assert delete_webhook(ch, http) is True
    fixture = json.loads((FIXTURES / "message__text.json").read_text())
    emulator.state.queue_update(TOKEN, fixture)
    updates = get_updates(ch, http, offset=None)
    assert [u["update_id"] for u in updates] == [548201001]
    assert get_updates(ch, http, offset=548201002) == []
