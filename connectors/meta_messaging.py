"""Messenger and Instagram messaging: one `entry[].messaging[]` parser and one Send API client.

The two products differ only as data (`MessagingProfile`): the webhook `object`, the account
credential, how `read` is reported and whether the Send API takes uploaded bytes.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import requests

from connectors.base import (ChannelConfig, DownloadedMedia, OutboundMessage,
                             PermanentSendError, SendError, SendResult)
from connectors.meta import MetaConnector, fetch_capped, graph_call, http_timeout, json_body
from connectors.meta_parse import parse_messaging
from hub.events import Ignored, MediaRef, NormalizedEvent

# Our outbound media kinds -> Send API attachment types.
ATTACHMENT_TYPES = {"image": "image", "video": "video", "audio": "audio", "voice": "audio",
                    "document": "file", "file": "file"}


@dataclass(frozen=True)
class MessagingProfile:
    """How one Meta messaging product differs from the other."""

    kind: str
    webhook_object: str  # `object` of its webhook bodies
    account_credential: str  # credential naming the page / Instagram account
    read_by_mid: bool  # Instagram reports `read.mid`, Messenger `read.watermark`
    supports_upload: bool  # Messenger takes multipart `filedata`; Instagram wants a URL
    send_path: str = "me/messages"


class MetaMessagingConnector(MetaConnector):
    """Messenger / Instagram connector, configured by a MessagingProfile."""

    # Hours the HUMAN_AGENT tag extends the reply window to (7 days).
    human_agent_window_hours = 168
    rate_per_account = None

    def __init__(self, profile: MessagingProfile):
        self.profile = profile
        self.kind = profile.kind
        self.credential_names = ("accessToken", "appSecret", profile.account_credential)

    def parse(self, payload: Any) -> list[NormalizedEvent]:
        """Every `messaging[]` item of every entry; `changes` (comments, mentions) ignored."""
        if not isinstance(payload, dict):
            return [Ignored(event_type="invalid", reason="payload is not an object")]
        if payload.get("object", self.profile.webhook_object) != self.profile.webhook_object:
            return [Ignored(event_type=str(payload["object"]), reason="wrong object")]
        events: list[NormalizedEvent] = []
        for entry in payload.get("entry") or []:
            for item in entry.get("messaging") or []:
                events.extend(parse_messaging(item, read_by_mid=self.profile.read_by_mid))
            for change in entry.get("changes") or []:
                events.append(Ignored(event_type=f"changes.{change.get('field')}",
                                      reason="feed change not handled"))
            if entry.get("standby"):  # another app owns the thread (handover protocol)
                events.append(Ignored(event_type="standby", reason="thread owned elsewhere"))
        return events

    # -- sending -----------------------------------------------------------------------------
    def _attachment(self, media: Any) -> dict[str, Any]:
        kind = ATTACHMENT_TYPES.get(media.kind)
        if kind is None:
            raise PermanentSendError(f"{self.kind} cannot send media of kind {media.kind!r}",
                                     code="bad_media_kind")
        if media.provider_media_id:
            return {"type": kind, "payload": {"attachment_id": media.provider_media_id}}
        if media.url:
            return {"type": kind, "payload": {"url": media.url, "is_reusable": True}}
        if media.content is None:
            raise PermanentSendError("media has no url, id or content", code="empty_media")
        if not self.profile.supports_upload:
            raise PermanentSendError(f"{self.kind} needs a public URL for media",
                                     code="upload_unsupported")
        return {"type": kind, "payload": {"is_reusable": True}}

    def _post(self, channel: ChannelConfig, http: requests.Session, envelope: dict[str, Any],
              message: dict[str, Any], upload: Any = None) -> str:
        url = "/".join([channel.api_base(self.default_api_base), self.profile.send_path])
        kwargs: dict[str, Any]
        if upload is not None:  # multipart: JSON fields as strings plus the file
            data = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in envelope.items()}
            data["message"] = json.dumps(message)
            mime = upload.mime_type or "application/octet-stream"
            kwargs = {"data": data,
                      "files": {"filedata": (upload.filename or "file", upload.content, mime)}}
        else:
            kwargs = {"json": {**envelope, "message": message}}
        response = graph_call(http, "POST", url, timeout=http_timeout(channel),
                              headers=self.auth_headers(channel), **kwargs)
        mid = json_body(response).get("message_id")
        if not mid:
            raise PermanentSendError("Send API returned no message_id", code="no_message_id")
        return str(mid)

    def send(self, channel: ChannelConfig, message: OutboundMessage,
             http: requests.Session) -> SendResult:
        """Text first (attachments take no caption), then one request per attachment; parts
        before `skip_parts` were sent by an earlier attempt."""
        envelope: dict[str, Any] = {"recipient": {"id": message.recipient_id},
                                    "messaging_type": "RESPONSE"}
        if message.tag:  # outside the 24h window, e.g. HUMAN_AGENT for 7 days
            envelope.update(messaging_type="MESSAGE_TAG", tag=message.tag)
        if not message.text and not message.media:
            raise PermanentSendError("nothing to send", code="empty_message")
        parts: list[tuple[dict[str, Any], Any]] = []
        if message.text:
            parts.append(({"text": message.text}, None))
        for media in message.media:
            attachment = self._attachment(media)
            # Neither url nor attachment_id: the bytes go along as multipart filedata.
            upload = media if set(attachment["payload"]) == {"is_reusable"} else None
            parts.append(({"attachment": attachment}, upload))
        ids: list[str] = []
        try:
            for body, upload in parts[message.skip_parts:]:
                if message.before_request:
                    message.before_request()
                ids.append(self._post(channel, http, envelope, body, upload))
        except SendError as exc:  # say which parts went out, so a retry skips them
            exc.partial_provider_ids = ids
            raise
        return SendResult(provider_message_ids=ids)

    def download_media(self, channel: ChannelConfig, media: MediaRef,
                       http: requests.Session) -> DownloadedMedia:
        """GET the attachment's CDN URL (signed, no token needed); capped like WhatsApp."""
        if not media.url:
            raise PermanentSendError("attachment has no url", code="no_media_url")
        content, mime = fetch_capped(http, media.url, timeout=http_timeout(channel))
        return DownloadedMedia(content=content, mime_type=mime or media.mime_type,
                               filename=media.filename)

