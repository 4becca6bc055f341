"""Telegram Bot API connector: webhook secret token, updates to events, sends, file downloads."""
from __future__ import annotations

import hmac
import mimetypes
import posixpath
import secrets
from typing import Any, Mapping

import requests

from connectors.base import ChannelConfig, Connector, DownloadedMedia, OutboundMessage, header, \
    SendResult
from connectors.telegram import api, outbound
from connectors.telegram.api import (MAX_DOWNLOAD_BYTES, delete_webhook, get_updates,
                                     webhook_info)
from connectors.telegram.parse import parse_update
from hub.events import MediaRef, NormalizedEvent

# The header Telegram sends with the secret_token given to setWebhook.
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

__all__ = ["connector", "TelegramConnector", "webhook_info", "get_updates", "delete_webhook",
           "MAX_DOWNLOAD_BYTES", "SECRET_HEADER"]


class TelegramConnector(Connector):
    """One bot per channel; the contact is a Telegram chat (private or group)."""

    kind = "telegram"
    default_api_base = api.DEFAULT_API_BASE
    # Telegram's documented limits: ~30 messages/s per bot, 1 message/s per chat.
    rate_per_account = 30
    rate_per_recipient = 1

    def required_credentials(self) -> tuple[str, ...]:
        return ("botToken",)

    def generated_credentials(self) -> dict[str, str]:
        """A secret token for setWebhook: 43 characters of A-Z a-z 0-9 _ -, as Telegram allows."""
        return {"secretToken": secrets.token_urlsafe(32)}

    def verify_signature(self, channel: ChannelConfig, headers: Mapping[str, str],
                         raw_body: bytes) -> bool:
        """Telegram signs nothing; it echoes our secret token in a header."""
        given = header(headers, SECRET_HEADER)
        if not channel.secret_token or given is None:
            return False
        return hmac.compare_digest(given.encode(), channel.secret_token.encode())

    def dedupe_key(self, raw_body: bytes, payload: Any) -> str:
        """update_id is what Telegram keeps when it redelivers an update."""
        if isinstance(payload, dict) and "update_id" in payload:
            return str(payload["update_id"])
        return super().dedupe_key(raw_body, payload)

    def parse(self, payload: Any) -> list[NormalizedEvent]:
        return parse_update(payload)

    def send(self, channel: ChannelConfig, message: OutboundMessage,
             http: requests.Session) -> SendResult:
        return outbound.send(channel, message, http)

    def download_media(self, channel: ChannelConfig, media: MediaRef,
                       http: requests.Session) -> DownloadedMedia:
        """getFile, then the file itself (at most 20 MB, Telegram's limit for bots)."""
        if not media.provider_media_id:
            raise ValueError("a Telegram file needs its file_id")
        content, file_path, content_type = api.download_file(channel, media.provider_media_id,
                                                             http)
        served = (content_type or "").split(";")[0].strip() or None
        # Telegram's file server often says application/octet-stream; the update knew better.
        mime = media.mime_type or mimetypes.guess_type(file_path)[0] or served
        return DownloadedMedia(content=content, mime_type=mime,
                               filename=media.filename or posixpath.basename(file_path))

    def on_connect(self, channel: ChannelConfig, webhook_url: str,
                   http: requests.Session) -> None:
        """Register the hub's webhook URL with our secret token."""
        api.set_webhook(channel, webhook_url, http)


connector = TelegramConnector()
