"""Meta webhook signature and subscribe handshake, shared by WhatsApp, Messenger, Instagram."""
from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from connectors.base import ChannelConfig
from connectors.meta import escape_non_ascii
from connectors.registry import get_connector
from tests.connectors.conftest import fixture_files

SECRET = "6c3f1b0e9a2d4c7e8f1a2b3c4d5e6f70"
CHANNEL = ChannelConfig(id="c1", kind="whatsapp", credentials={"appSecret": SECRET},
                        settings={}, verify_token="verify-me-7f3a")
KINDS = ["whatsapp", "messenger", "instagram"]


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def unicode_body() -> bytes:
    return (fixture_files("whatsapp")[0].parent / "messages__text_unicode.json").read_bytes()


@pytest.mark.parametrize("kind", KINDS)
def test_valid_signature_is_accepted(kind):
    body = unicode_body()
    assert get_connector(kind).verify_signature(CHANNEL, {"X-Hub-Signature-256": sign(body)},
                                                body)


def test_header_lookup_ignores_case():
    body = b'{"object":"page","entry":[]}'
    connector = get_connector("messenger")
    assert connector.verify_signature(CHANNEL, {"x-hub-signature-256": sign(body)}, body)


def test_wrong_secret_is_refused():
    body = unicode_body()
    assert not get_connector("whatsapp").verify_signature(
        CHANNEL, {"X-Hub-Signature-256": sign(body, "another-app-secret")}, body)


@pytest.mark.parametrize("headers", [{}, {"X-Hub-Signature-256": ""},
                                     {"X-Hub-Signature-256": "sha1=abcdef"},
                                     {"X-Hub-Signature-256": "sha256=not-hex-at-all"},
                                     {"X-Hub-Signature-256": "sha256=\u00e9\u00e9"},
                                     {"X-Hub-Signature": "sha1=0000"}])
def test_missing_or_garbled_header_is_refused(headers):
    assert not get_connector("whatsapp").verify_signature(CHANNEL, headers, unicode_body())


def test_tampered_body_is_refused():
    body = unicode_body()
    tampered = body.replace(b"Caf\xc3\xa9", b"Tea!")
    assert tampered != body
    assert not get_connector("whatsapp").verify_signature(
        CHANNEL, {"X-Hub-Signature-256": sign(body)}, tampered)


def test_channel_without_app_secret_refuses_everything():
    body = b"{}"
    channel = ChannelConfig(id="c2", kind="whatsapp", credentials={}, settings={})
    assert not get_connector("whatsapp").verify_signature(
        channel, {"X-Hub-Signature-256": sign(body, "")}, body)


def test_signature_over_the_escaped_serialisation_is_accepted():
    """Meta sometimes signs the body as it serialised it, with non-ASCII as \\uXXXX."""
    body = unicode_body()
    escaped = json.dumps(json.loads(body), indent=2, ensure_ascii=True).encode() + b"\n"
    assert escaped == escape_non_ascii(body.decode()).encode()  # same escaping as Python's
    assert b"\\ud83d\\ude4f" in escaped  # the emoji became a surrogate pair
    assert get_connector("whatsapp").verify_signature(
        CHANNEL, {"X-Hub-Signature-256": sign(escaped)}, body)


def test_escape_uses_lowercase_hex_and_surrogate_pairs():
    assert escape_non_ascii("é😀中a") == "\\u00e9\\ud83d\\ude00\\u4e2da"


@pytest.mark.parametrize("kind", KINDS)
def test_handshake_echoes_challenge_for_the_right_token(kind):
    args = {"hub.mode": "subscribe", "hub.verify_token": "verify-me-7f3a",
            "hub.challenge": "1158201444"}
    assert get_connector(kind).handshake(CHANNEL, args) == "1158201444"


@pytest.mark.parametrize("args", [
    {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
    {"hub.mode": "unsubscribe", "hub.verify_token": "verify-me-7f3a", "hub.challenge": "1"},
    {"hub.challenge": "1"}])
def test_handshake_refuses_anything_else(args):
    assert get_connector("whatsapp").handshake(CHANNEL, args) is None


def test_dedupe_key_is_the_body_hash():
    body = unicode_body()
    assert get_connector("whatsapp").dedupe_key(body, json.loads(body)) == \
        hashlib.sha256(body).hexdigest()
