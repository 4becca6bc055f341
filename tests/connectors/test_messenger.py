"""Messenger connector: every fixture parsed; Send API and downloads against a local emulator."""
from __future__ import annotations

import json
from datetime import datetime

import pytest

from connectors.base import OutboundMedia, OutboundMessage
from connectors.messenger import connector
from tests.connectors import messaging_cases as cases
from tests.connectors.conftest import assert_events, fixture_files

PAGE, P1, P2 = "107749458413722", "6748202618560327", "7013338392084771"
CDN = "https://scontent.xx.fbcdn.net/v/t1.15752-9/448312345_1023456789_n.{}"


def mid(n: int) -> str:
    return f"m_Xk3vQ9pL2sT8yB1nR5wE7uI0oA4dF6gH{n:04d}jK9lZ2xC5vB8nM1qW3eR6tY0uIpAsDfGhJkLzXcVbNm"


OUT = mid(9001)


def msg(n: int, message_type: str, **more) -> dict:
    return {"type": "InboundMessage", "provider_message_id": mid(n), "direction": "in",
            "message_type": message_type, "contact.external_id": P1, **more}


EXPECTED: dict[str, list[dict]] = {
    "messaging__text": [msg(1, "text", text="Hi! Do you ship to Lisbon?",
                            timestamp=datetime(2024, 6, 10, 15, 0))],
    "messaging__text_unicode": [msg(2, "text", text="Olá! Já recebi a encomenda 🎉 谢谢 — très "
                                    "bien 👍🏽", **{"contact.external_id": P2})],
    "messaging__quick_reply": [msg(3, "text", text="Track my order",
                                   payload={"quick_reply": "TRACK_ORDER"})],
    "messaging__reply": [msg(4, "text", reply_to_provider_id=OUT)],
    "messaging__image": [msg(5, "image", **{"media.0.kind": "image"})],
    "messaging__video": [msg(6, "video", **{"media.0.kind": "video"})],
    "messaging__audio": [msg(7, "audio", **{"media.0.kind": "audio"})],
    "messaging__file": [msg(8, "document", **{"media.0.kind": "file"})],
    "messaging__fallback": [msg(9, "text", text="https://www.example-shop.pt/produtos/"
                                "cafeteira-italiana", **{"payload.links.0.type": "fallback"})],
    "messaging__echo": [msg(10, "text", direction="out", text="Sure, your order ships tomorrow.")],
    "messaging__deleted": [{"type": "MessageDeletion", "provider_message_id": mid(4),
                            "contact.external_id": P1}],
    "messaging__read": [{"type": "ReadWatermark", "contact.external_id": P1,
                         "watermark": datetime(2024, 6, 10, 14, 59, 55),
                         "timestamp": datetime(2024, 6, 10, 15, 0, 1)}],
    "messaging__delivery": [
        {"type": "StatusUpdate", "provider_message_id": OUT, "status": "delivered",
         "recipient_id": P1},
        {"type": "StatusUpdate", "provider_message_id": mid(9002), "status": "delivered"}],
    "messaging__reaction": [{"type": "Reaction", "target_provider_message_id": OUT,
                             "emoji": "❤️"}],
    "messaging__unreact": [{"type": "Reaction", "target_provider_message_id": OUT,
                            "emoji": None}],
    "messaging__postback": [msg(11, "postback", text="Talk to an agent",
                                payload={"payload": "HUMAN_HANDOFF"})],
    "messaging__edit": [{"type": "MessageEdit", "provider_message_id": mid(1),
                         "text": "Hi! Do you ship to Porto?"}],
    "messaging__batched": [msg(12, "text", text="First question 🙂"),
                           msg(13, "text", text="Second one"),
                           msg(14, "text", **{"contact.external_id": P2}),
                           {"type": "ReadWatermark", "contact.external_id": P1}],
    "unknown__referral": [{"type": "Ignored", "event_type": "referral"}],
    "unknown__standby": [{"type": "Ignored", "event_type": "standby"}],
}


@pytest.mark.parametrize("path", fixture_files("messenger"), ids=lambda p: p.stem)
def test_every_fixture_parses_to_its_expected_events(path):
    assert path.stem in EXPECTED, f"fixture {path.name} has no EXPECTED entry"
    assert_events(connector.parse(json.loads(path.read_bytes())), EXPECTED[path.stem])


def test_every_expectation_has_a_fixture():
    assert set(EXPECTED) == {p.stem for p in fixture_files("messenger")}


def test_instagram_bodies_are_not_parsed_as_messenger():
    body = json.loads((fixture_files("instagram")[0].parent / "messaging__text.json").read_bytes())
    assert_events(connector.parse(body), [{"type": "Ignored", "event_type": "instagram"}])


def test_describes_itself():
    assert connector.kind == "messenger"
    assert connector.required_credentials() == ("accessToken", "appSecret", "pageId")


def test_text_send(graph, http):
    cases.check_text_send_is_a_response(connector, graph, http, P1)


def test_human_agent_tag(graph, http):
    cases.check_human_agent_tag(connector, graph, http, P1)


def test_text_then_attachment(graph, http):
    cases.check_text_then_attachment_by_url(connector, graph, http, P1)


def test_bytes_are_uploaded_as_multipart_filedata(graph, http):
    graph.on("POST", cases.SEND_PATH, json_body={"recipient_id": P1, "message_id": "mid.$f",
                                                 "attachment_id": "1857777774821032"})
    message = OutboundMessage(recipient_id=P1, media=[OutboundMedia(
        kind="document", content=b"%PDF-1.4", filename="recibo.pdf", mime_type="application/pdf")])
    assert connector.send(cases.channel_for(connector, graph), message,
                          http).provider_message_ids == ["mid.$f"]
    sent = graph.requests[0]
    assert json.loads(sent.form["recipient"]) == {"id": P1}
    assert json.loads(sent.form["message"]) == {"attachment": {"type": "file", "payload": {
        "is_reusable": True}}}
    assert sent.files["filedata"] == ("recibo.pdf", b"%PDF-1.4", "application/pdf")


def test_download(graph, http):
    cases.check_download_fetches_attachment_url(connector, graph, http)


def test_download_cap(graph, http, monkeypatch):
    cases.check_download_cap(connector, graph, http, monkeypatch)


@pytest.mark.parametrize("status,body,headers,expected", cases.ERROR_CASES)
def test_error_classification(graph, http, status, body, headers, expected):
    cases.check_error(connector, graph, http, status, body, headers, expected)


def test_retry_after(graph, http):
    cases.check_retry_after(connector, graph, http)


def test_timeout(graph, http):
    cases.check_timeout(connector, graph, http)
