"""Instagram connector: every fixture parsed; Send API and downloads against a local emulator."""
from __future__ import annotations

import json

import pytest

from connectors.base import OutboundMedia, OutboundMessage, PermanentSendError
from connectors.instagram import connector
from tests.connectors import messaging_cases as cases
from tests.connectors.conftest import assert_events, fixture_files

IG, S1, S2 = "17841405822304914", "1123581321345589", "2718281828459045"
LOOKASIDE = "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id="


def mid(n: int) -> str:
    return ("aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDA1ODIyMzA0OTE0OjM0MDI4MjM2Njg0MTcxMDMw"
            f"MTI0NDI1OTk{n:04d}")


OUT = mid(9001)


def msg(n: int, message_type: str, **more) -> dict:
    return {"type": "InboundMessage", "provider_message_id": mid(n), "direction": "in",
            "message_type": message_type, "contact.external_id": S1, **more}


def read(sender: str = S1) -> dict:
    return {"type": "StatusUpdate", "provider_message_id": OUT, "status": "read",
            "recipient_id": sender}


EXPECTED: dict[str, list[dict]] = {
    "messaging__text": [msg(1, "text", text="Hey! Is the linen shirt still available in M?")],
    "messaging__text_unicode": [msg(2, "text", text="ありがとう😊 ¡Qué bonito! Ça marche 🇫🇷",
                                    **{"contact.external_id": S2})],
    "messaging__reply": [msg(3, "text", text="and in blue?", reply_to_provider_id=OUT)],
    "messaging__image": [msg(4, "image", **{"media.0.url": LOOKASIDE + "18034567891234567"
                                            "&signature=AbzX1y2Q3w4E5r6T7y8U9i0OpAsDfGhJkL"})],
    "messaging__audio": [msg(5, "audio", **{"media.0.kind": "audio"})],
    "messaging__share": [msg(6, "text", **{"payload.links.0.type": "share", "media": []})],
    "messaging__story_mention": [msg(7, "story_mention", **{
        "payload.story_url": LOOKASIDE + "18123456789012345&signature=St0"})],
    "messaging__story_reply": [msg(8, "story_reply", text="Love this look 😍", **{
        "payload.story_id": "18234567890123456"})],
    "messaging__echo": [msg(9, "text", direction="out", text="Yes, size M is in stock!")],
    "messaging__deleted": [{"type": "MessageDeletion", "provider_message_id": mid(3),
                            "contact.external_id": S1}],
    "messaging__unsupported": [msg(10, "unsupported")],
    "messaging__read": [read()],
    "messaging__reaction": [{"type": "Reaction", "target_provider_message_id": OUT,
                             "emoji": "❤️", "contact.external_id": S1}],
    "messaging__unreact": [{"type": "Reaction", "target_provider_message_id": OUT,
                            "emoji": None}],
    "messaging__postback": [msg(11, "postback", text="See new arrivals",
                                payload={"payload": "NEW_ARRIVALS"})],
    "messaging__batched": [msg(12, "text", text="Olá 👋"),
                           {"type": "Reaction", "emoji": "👍"},
                           msg(13, "text", text="Do you ship to Kraków?",
                               **{"contact.external_id": S2}),
                           read(S2)],
    "changes__comments": [{"type": "Ignored", "event_type": "changes.comments"}],
    "unknown__referral": [{"type": "Ignored", "event_type": "referral"}],
}


@pytest.mark.parametrize("path", fixture_files("instagram"), ids=lambda p: p.stem)
def test_every_fixture_parses_to_its_expected_events(path):
    assert path.stem in EXPECTED, f"fixture {path.name} has no EXPECTED entry"
    assert_events(connector.parse(json.loads(path.read_bytes())), EXPECTED[path.stem])


def test_every_expectation_has_a_fixture():
    assert set(EXPECTED) == {p.stem for p in fixture_files("instagram")}


def test_describes_itself():
    assert connector.kind == "instagram"
    assert connector.required_credentials() == ("accessToken", "appSecret", "igUserId")


def test_text_send(graph, http):
    cases.check_text_send_is_a_response(connector, graph, http, S1)


def test_human_agent_tag(graph, http):
    cases.check_human_agent_tag(connector, graph, http, S1)


def test_text_then_attachment(graph, http):
    cases.check_text_then_attachment_by_url(connector, graph, http, S1)


def test_bytes_without_url_are_refused_before_any_request(graph, http):
    message = OutboundMessage(recipient_id=S1, media=[OutboundMedia(kind="image",
                                                                    content=b"\x89PNG")])
    with pytest.raises(PermanentSendError, match="public URL"):
        connector.send(cases.channel_for(connector, graph), message, http)
    assert graph.requests == []


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
