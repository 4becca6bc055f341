"""Provider webhooks: verify, commit the raw body, answer. Everything else runs in a job.

A delivery's POST is normally answered by `web.webhook_wsgi`, below Flask; the view here serves
what that fast path hands on (a body without Content-Length, a database error). Both run
`accept`, so the two answer alike.
"""
from __future__ import annotations

import json
from typing import Callable, Mapping, Optional

from flask import Blueprint, Response, request

from connectors.registry import get_connector
from hub.errors import NotFound, PayloadTooLarge, Unauthorized, Unavailable, ValidationError
from hub.settings import get_settings
from hub.webhook_channels import LiveChannel, StaleChannel, cached_channel, live_channel
from hub.webhook_intake import store_raw_event

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

# Kinds that post to /webhooks (the widget talks to its own endpoints).
WEBHOOK_KINDS = ("whatsapp", "instagram", "messenger", "telegram")
# What a provider gets for a committed delivery.
_ACK = '{{"success":true,"eventId":"{}","duplicate":{}}}'


def ack(event_id: str, created: bool) -> str:
    """The answer to a committed delivery, written directly (ids are hex): jsonify's encoder
    is a visible share of a webhook request."""
    return _ACK.format(event_id, "false" if created else "true")


def _channel(kind: str, channel_id: str, cached: bool = False) -> LiveChannel:
    """The live channel of this kind, or 404 (unknown, deleted, disabled or another kind).

    `cached`: the config this process holds, which the delivery's INSERT checks is current.
    """
    channel = None
    if kind in WEBHOOK_KINDS and len(channel_id) <= 64:
        channel = (cached_channel if cached else live_channel)(kind, channel_id)
    if channel is None:
        raise NotFound("unknown channel", code="unknown_channel")
    return channel


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"webhook bodies are limited to {limit} bytes")


def accept(kind: str, channel_id: str, headers: Mapping[str, str],
           content_length: Optional[int], read: Callable[[int], bytes]) -> tuple[str, bool]:
    """Verify and commit one delivery; (event id, created). Raises the HubError to answer.

    `read(limit)` returns the body, at most `limit + 1` bytes of it. The size is checked before
    the database is touched when the length is announced, and again on the bytes read.
    """
    limit = get_settings().max_webhook_bytes
    if (content_length or 0) > limit:
        raise _too_large(limit)
    channel = _channel(kind, channel_id, cached=True)
    raw = read(limit)
    if len(raw) > limit:
        raise _too_large(limit)
    connector = get_connector(kind)
    if not connector.verify_signature(channel.config, headers, raw):
        # Perhaps signed with credentials this process has not seen yet: check on the row.
        channel = _verified(kind, channel_id, connector, headers, raw)
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ValidationError("the body is not valid JSON", code="invalid_json") from None
    key = connector.dedupe_key(raw, payload)
    try:
        event, created = store_raw_event(channel, raw, key, headers)
    except StaleChannel:  # the cached config is out of date: check the delivery on the row
        channel = _verified(kind, channel_id, connector, headers, raw)
        try:
            event, created = store_raw_event(channel, raw, key, headers)
        except StaleChannel:
            raise Unavailable("the channel changed while the delivery was stored; send it "
                              "again", code="channel_changed") from None
    return event.id, created


def _verified(kind: str, channel_id: str, connector, headers: Mapping[str, str],
              raw: bytes) -> LiveChannel:
    """The channel as it is now (404 if it is gone), if the delivery's signature holds on it."""
    channel = _channel(kind, channel_id)
    if not connector.verify_signature(channel.config, headers, raw):
        raise Unauthorized("invalid or missing signature", code="invalid_signature")
    return channel


@bp.get("/<kind>/<channel_id>")
def handshake(kind: str, channel_id: str):
    """Meta's subscription check: echo hub.challenge as text when the verify token matches."""
    channel = _channel(kind, channel_id)
    challenge = get_connector(kind).handshake(channel.config, request.args)
    if challenge is None:
        return Response("verification failed", status=403, mimetype="text/plain")
    return Response(challenge, status=200, mimetype="text/plain")


@bp.post("/<kind>/<channel_id>")
def receive(kind: str, channel_id: str):
    """Verify and commit one delivery; 200 only once it is in the database."""
    event_id, created = accept(kind, channel_id, request.headers, request.content_length,
                               lambda limit: request.stream.read(limit + 1))
    return Response(ack(event_id, created), mimetype="application/json")
