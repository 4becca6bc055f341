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
from hub.errors import NotFound, PayloadTooLarge, Unauthorized, ValidationError
from hub.settings import get_settings
from hub.webhook_channels import LiveChannel, live_channel
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


def _channel(kind: str, channel_id: str) -> LiveChannel:
    """The live channel of this kind, or 404 (unknown, deleted, disabled or another kind)."""
    channel = None
    if kind in WEBHOOK_KINDS and len(channel_id) <= 64:
        channel = live_channel(kind, channel_id)
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
    channel = _channel(kind, channel_id)
    raw = read(limit)
    if len(raw) > limit:
        raise _too_large(limit)
    connector = get_connector(kind)
    if not connector.verify_signature(channel.config, headers, raw):
        raise Unauthorized("invalid or missing signature", code="invalid_signature")
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ValidationError("the body is not valid JSON", code="invalid_json") from None
    event, created = store_raw_event(channel, raw, connector.dedupe_key(raw, payload), headers)
    return event.id, created


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
