"""Provider webhooks: verify, commit the raw body, answer. Everything else runs in a job."""
from __future__ import annotations

import json

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


def _channel(kind: str, channel_id: str) -> LiveChannel:
    """The live channel of this kind, or 404 (unknown, deleted, disabled or another kind)."""
    channel = None
    if kind in WEBHOOK_KINDS and len(channel_id) <= 64:
        channel = live_channel(kind, channel_id)
    if channel is None:
        raise NotFound("unknown channel", code="unknown_channel")
    return channel


def _read_body(limit: int) -> bytes:
    """The raw body, refused with 413 past `limit` before it is read whole."""
    if (request.content_length or 0) > limit:
        raise PayloadTooLarge(f"webhook bodies are limited to {limit} bytes")
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        raise PayloadTooLarge(f"webhook bodies are limited to {limit} bytes")
    return body


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
    limit = get_settings().max_webhook_bytes
    if (request.content_length or 0) > limit:  # refuse before touching the database
        raise PayloadTooLarge(f"webhook bodies are limited to {limit} bytes")
    channel = _channel(kind, channel_id)
    raw = _read_body(limit)
    connector = get_connector(kind)
    if not connector.verify_signature(channel.config, request.headers, raw):
        raise Unauthorized("invalid or missing signature", code="invalid_signature")
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ValidationError("the body is not valid JSON", code="invalid_json") from None
    event, created = store_raw_event(channel, raw, connector.dedupe_key(raw, payload),
                                     request.headers)
    # The answer written directly (ids are hex): jsonify's encoder is a visible share here.
    return Response(_ACK.format(event.id, "false" if created else "true"),
                    mimetype="application/json")
