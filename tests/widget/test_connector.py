"""The widget connector: every fixture parsed, the visitor token as signature, dedupe keys."""
from __future__ import annotations

import json
from datetime import datetime

import pytest

from connectors.base import ChannelConfig, OutboundMessage, PermanentSendError
from connectors.registry import get_connector
from connectors.widget.tokens import VisitorClaims, issue_token
from hub.events import Ignored, InboundMessage
from tests.connectors.conftest import fixture_files

VISITOR = "v_6f1c2d3e4a5b6c7d8e9f0a1b2c3d4e5f"
# Fixture name -> (type, message type, text, number of files, extra check)
EXPECTED = {
    "message__text": ("message", "text", "Hello, do you ship to Lyon?", 0),
    "message__text_unicode": ("message", "text", "Ça marche 👍 — merci ! 日本語も大丈夫？", 0),
    "message__prechat_fields": ("message", "text", "I need a quote for 40 chairs", 0),
    "message__image": ("message", "image", "Here is the damaged box", 1),
    "message__document": ("message", "document", "", 1),
    "unknown__typing": ("ignored", None, None, 0),
}
connector = get_connector("widget")
CONFIG = ChannelConfig(id="chan1", kind="widget", credentials={}, settings={})


@pytest.mark.parametrize("path", fixture_files("widget"), ids=lambda p: p.stem)
def test_every_fixture_parses_as_expected(path):
    assert path.stem in EXPECTED, f"{path.name} has no expectation"
    kind, message_type, text, files = EXPECTED[path.stem]
    events = connector.parse(json.loads(path.read_text()))
    assert len(events) == 1
    event = events[0]
    if kind == "ignored":
        assert isinstance(event, Ignored)
        return
    assert isinstance(event, InboundMessage)
    assert event.contact.external_id == VISITOR and event.contact.name == "Camille Martin"
    assert event.provider_message_id.startswith(VISITOR + ":c-7b1e2f30-")
    assert (event.message_type, event.text, len(event.media)) == (message_type, text, files)
    assert isinstance(event.timestamp, datetime) and event.timestamp.tzinfo is None
    if path.stem == "message__prechat_fields":
        assert event.payload["widget"]["fields"] == {"order_number": "A-10442",
                                                     "company": "Martin & Fils"}
        assert event.contact.phone == "+33612345678"
    if files:
        assert event.media[0].provider_media_id and event.media[0].url.startswith("https://")


def test_signature_is_the_visitor_token_for_this_channel_and_visitor():
    body = (fixture_files("widget")[0].parent / "message__text.json").read_bytes()
    good = issue_token(VisitorClaims("w1", "chan1", VISITOR))
    assert connector.verify_signature(CONFIG, {"x-widget-token": good}, body)
    for token in (None, "junk", issue_token(VisitorClaims("w1", "chan2", VISITOR)),
                  issue_token(VisitorClaims("w1", "chan1", "v_someone_else"))):
        assert not connector.verify_signature(CONFIG, {"X-Widget-Token": token} if token else {},
                                              body)
    assert not connector.verify_signature(CONFIG, {"X-Widget-Token": good}, b"{not json")


def test_dedupe_key_is_the_client_message_id_per_visitor():
    payload = json.loads((fixture_files("widget")[0].parent / "message__text.json").read_text())
    assert connector.dedupe_key(b"", payload) == f"{VISITOR}:c-7b1e2f30-0001"
    assert len(connector.dedupe_key(b"x", {"other": 1})) == 64


def test_send_needs_the_message_id_and_the_visitor():
    import requests

    with pytest.raises(PermanentSendError):
        connector.send(CONFIG, OutboundMessage(recipient_id=VISITOR, text="hi"), requests.Session())
    with pytest.raises(PermanentSendError):
        connector.send(CONFIG, OutboundMessage(recipient_id="", idempotency_key="m1"),
                       requests.Session())
