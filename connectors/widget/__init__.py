"""The website widget connector: the hub is the widget's provider.

Inbound, the visitor API stores each visitor message as a raw event (the same pipeline as the
providers' webhooks) signed with the visitor token the hub issued. Outbound, there is no
provider API: `send` publishes the stored message to the visitor's socket and reports the hub
message id as the provider id; the socket marks it delivered and read as the visitor sees it.
"""
from __future__ import annotations

import hmac
import json
from datetime import datetime, timezone
from typing import Any, Mapping

import requests

from connectors.base import (ChannelConfig, Connector, DownloadedMedia, OutboundMessage, header,
                             PermanentSendError, SendResult, TransientSendError)
from connectors.widget.live import publish_to_visitor
from connectors.widget.tokens import TOKEN_HEADER, read_token
from hub.events import ContactProfile, Ignored, InboundMessage, MediaRef, NormalizedEvent

__all__ = ["connector", "WidgetConnector", "event_body", "TOKEN_HEADER"]

# Attachment kinds a visitor message takes its type from (first attachment wins).
MEDIA_KINDS = ("image", "video", "audio", "voice", "document", "file")


def event_body(*, widget_id: str, visitor_id: str, client_message_id: str, text: str,
               sent_at: datetime, visitor: Mapping[str, Any],
               attachments: list[Mapping[str, Any]]) -> bytes:
    """The raw event of one visitor message, as the visitor API stores it."""
    return json.dumps({
        "object": "widget", "type": "message", "widgetId": widget_id, "visitorId": visitor_id,
        "clientMessageId": client_message_id, "text": text,
        "sentAt": sent_at.replace(tzinfo=timezone.utc).isoformat(timespec="milliseconds"),
        "visitor": dict(visitor), "attachments": [dict(a) for a in attachments],
    }, separators=(",", ":"), ensure_ascii=False).encode()


def _timestamp(value: Any) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(timezone.utc).replace(tzinfo=None)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def _message(payload: dict[str, Any]) -> NormalizedEvent:
    visitor_id, client_id = payload.get("visitorId"), payload.get("clientMessageId")
    if not isinstance(visitor_id, str) or not isinstance(client_id, str):
        return Ignored("message", "missing visitor or client message id")
    visitor = payload.get("visitor") if isinstance(payload.get("visitor"), dict) else {}
    media = [MediaRef(kind=a.get("kind") or "file", provider_media_id=a.get("id"),
                      url=a.get("url"), mime_type=a.get("mimeType"), filename=a.get("name"),
                      size=a.get("size"), sha256=a.get("sha256"))
             for a in payload.get("attachments") or [] if isinstance(a, dict)]
    text = payload.get("text") if isinstance(payload.get("text"), str) else ""
    message_type = "text"
    if media:
        message_type = media[0].kind if media[0].kind in MEDIA_KINDS else "document"
    contact = ContactProfile(external_id=visitor_id, name=visitor.get("name") or None,
                             phone=visitor.get("phone") or None)
    return InboundMessage(
        # Scoped by visitor: two visitors' client ids may collide, one visitor's never do.
        provider_message_id=f"{visitor_id}:{client_id}", contact=contact,
        timestamp=_timestamp(payload.get("sentAt")), message_type=message_type, text=text,
        media=media,
        payload={"widget": {"widgetId": payload.get("widgetId"), "clientMessageId": client_id,
                            "email": visitor.get("email"), "fields": visitor.get("fields") or {}}})


class WidgetConnector(Connector):
    """The hub's own chat widget: visitor tokens in, visitor sockets out."""

    kind = "widget"

    def verify_signature(self, channel: ChannelConfig, headers: Mapping[str, str],
                         raw_body: bytes) -> bool:
        """The visitor token must be valid, for this channel, and for the body's visitor."""
        claims = read_token(header(headers, TOKEN_HEADER))
        if claims is None or not hmac.compare_digest(claims.channel_id, channel.id):
            return False
        try:
            payload = json.loads(raw_body)
        except ValueError:
            return False
        return isinstance(payload, dict) and payload.get("visitorId") == claims.visitor_id

    def dedupe_key(self, raw_body: bytes, payload: Any) -> str:
        """The visitor's own message id: a resent message is the same event."""
        if isinstance(payload, dict) and payload.get("clientMessageId") and payload.get("visitorId"):
            return f"{payload['visitorId']}:{payload['clientMessageId']}"[:128]
        return super().dedupe_key(raw_body, payload)

    def parse(self, payload: Any) -> list[NormalizedEvent]:
        if not isinstance(payload, dict) or payload.get("object") != "widget":
            return [Ignored("unknown", "not a widget event")]
        if payload.get("type") == "message":
            return [_message(payload)]
        return [Ignored(str(payload.get("type") or "unknown"))]

    def send(self, channel: ChannelConfig, message: OutboundMessage,
             http: requests.Session) -> SendResult:
        """Push the stored message to the visitor's socket; it stays readable on their next visit."""
        if not message.idempotency_key:
            raise PermanentSendError("a widget reply needs the hub message id", code="no_message_id")
        if not message.recipient_id:
            raise PermanentSendError("the conversation has no visitor", code="no_visitor")
        try:
            publish_to_visitor(channel.id, message.recipient_id, "message",
                               {"messageId": message.idempotency_key})
        except Exception as exc:  # Redis down: retry, the message is stored meanwhile
            raise TransientSendError(f"visitor fan-out unavailable: {exc}", code="fanout") from exc
        return SendResult(provider_message_ids=[message.idempotency_key], http_status=200,
                          raw={"published": True})

    def download_media(self, channel: ChannelConfig, media: MediaRef,
                       http: requests.Session) -> DownloadedMedia:
        """Visitor files are uploaded to the hub first; fetch them from their signed URL."""
        if not media.url:
            raise ValueError("a widget file needs its URL")
        response = http.get(media.url, timeout=30)
        if response.status_code >= 500:
            raise TransientSendError(f"file fetch answered {response.status_code}")
        if response.status_code != 200:
            raise PermanentSendError(f"file fetch answered {response.status_code}")
        return DownloadedMedia(response.content, media.mime_type, media.filename)


connector = WidgetConnector()
