"""Provider webhooks: verify, commit the raw body, answer. Everything else runs in a job."""
from __future__ import annotations

from flask import Blueprint, Response, request

from connectors.registry import get_connector
from hub.errors import NotFound, PayloadTooLarge
from hub.settings import get_settings
from hub.webhook_channels import LiveChannel, live_channel
from hub.webhook_intake import accept_webhook

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
    if kind not in WEBHOOK_KINDS or len(channel_id) > 64:
        raise NotFound("unknown channel", code="unknown_channel")
    raw = _read_body(limit)
    # The channel's current row, the signature, the JSON and the commit: hub.webhook_intake,
    # batched with the deliveries that arrive meanwhile.
    event_id, created = accept_webhook(kind, channel_id, raw, request.headers)
    # The answer written directly (ids are hex): jsonify's encoder is a visible share here.
    return Response(_ACK.format(event_id, "false" if created else "true"),
                    mimetype="application/json")
