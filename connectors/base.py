"""The contract every channel connector fulfils, and the values that cross it.

A connector is a small object per channel kind: it checks signatures, parses provider payloads
into `hub.events`, sends outbound messages and classifies the provider's errors as transient
(retry) or permanent (fail now). It never touches the database.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional

import requests

from hub.events import MediaRef, NormalizedEvent

# Seconds to wait for a provider API before calling the attempt a (transient) timeout.
HTTP_TIMEOUT = 15


def header(headers: Mapping[str, str], name: str) -> Optional[str]:
    """A header by case-insensitive name, whatever mapping type the web layer passes.

    Header types (werkzeug's, requests') look names up case-insensitively themselves, without
    walking every header (a request's walk the whole WSGI environ); only a plain dict is walked.
    """
    if not isinstance(headers, dict):
        return headers.get(name)
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


@dataclass(frozen=True)
class ChannelConfig:
    """What a connector knows of one connected account: ids, decrypted secrets, settings."""

    id: str
    kind: str
    credentials: Mapping[str, Any]
    settings: Mapping[str, Any]
    verify_token: Optional[str] = None
    secret_token: Optional[str] = None  # Telegram X-Telegram-Bot-Api-Secret-Token

    def api_base(self, default: str) -> str:
        """The provider API root: `settings.apiBaseUrl` (an emulator) or the real provider."""
        return str(self.settings.get("apiBaseUrl") or default).rstrip("/")


@dataclass
class OutboundMedia:
    """A file to send: by public link, by provider media id, or as bytes to upload."""

    kind: str  # image, video, audio, voice, document
    url: Optional[str] = None
    provider_media_id: Optional[str] = None
    content: Optional[bytes] = None
    filename: Optional[str] = None
    mime_type: Optional[str] = None
    caption: Optional[str] = None


@dataclass
class OutboundMessage:
    """A message an agent sends to a contact."""

    recipient_id: str  # the contact's provider identity (phone, IGSID, PSID, chat id)
    text: Optional[str] = None
    media: list[OutboundMedia] = field(default_factory=list)
    template: Optional[dict[str, Any]] = None  # WhatsApp {"name", "language", "components"}
    reply_to_provider_id: Optional[str] = None
    tag: Optional[str] = None  # Meta message tag, e.g. HUMAN_AGENT
    idempotency_key: Optional[str] = None  # our message id
    # Leading parts (provider requests: text chunks, media items) that an earlier attempt
    # already got accepted; the connector sends only the rest, so a retry repeats nothing.
    skip_parts: int = 0
    # Called before each request that sends a part to the recipient: the caller's pacing for
    # per-recipient rate limits (Telegram: 1 message/s per chat), which multi-part sends hit.
    before_request: Optional[Callable[[], None]] = None


@dataclass
class SendResult:
    """What the provider answered to a successful send."""

    provider_message_ids: list[str]
    http_status: int = 200
    raw: Any = None


class SendError(Exception):
    """A failed send, with what the provider said."""

    transient = False

    def __init__(self, reason: str, *, code: Optional[str] = None,
                 http_status: Optional[int] = None, retry_after: Optional[float] = None):
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.http_status = http_status
        self.retry_after = retry_after
        # Provider ids of the parts accepted before this error (multi-request sends).
        self.partial_provider_ids: list[str] = []


class TransientSendError(SendError):
    """Worth retrying: timeouts, 5xx, 429, provider codes documented as temporary."""

    transient = True


class PermanentSendError(SendError):
    """Retrying cannot help: bad recipient, closed window, revoked token, bad request."""


@dataclass
class DownloadedMedia:
    content: bytes
    mime_type: Optional[str]
    filename: Optional[str]


class Connector:
    """Base class: subclasses override what their provider supports."""

    kind: str = ""
    default_api_base: str = ""
    # Messages per second the provider allows per account, and per recipient (None: no limit).
    rate_per_account: Optional[float] = None
    rate_per_recipient: Optional[float] = None
    # Hours after the contact's last message during which a free-form reply is allowed.
    reply_window_hours: Optional[float] = None

    # -- inbound -----------------------------------------------------------------------------
    def handshake(self, channel: ChannelConfig, args: Mapping[str, str]) -> Optional[str]:
        """Answer a subscription handshake (GET); None means refuse."""
        return None

    def verify_signature(self, channel: ChannelConfig, headers: Mapping[str, str],
                         raw_body: bytes) -> bool:
        raise NotImplementedError

    def dedupe_key(self, raw_body: bytes, payload: Any) -> str:
        """A key equal for redeliveries of one provider delivery (default: body hash)."""
        return hashlib.sha256(raw_body).hexdigest()

    def parse(self, payload: Any) -> list[NormalizedEvent]:
        raise NotImplementedError

    # -- outbound ----------------------------------------------------------------------------
    def send(self, channel: ChannelConfig, message: OutboundMessage,
             http: requests.Session) -> SendResult:
        raise NotImplementedError

    def download_media(self, channel: ChannelConfig, media: MediaRef,
                       http: requests.Session) -> DownloadedMedia:
        raise NotImplementedError

    # -- channel lifecycle -------------------------------------------------------------------
    def on_connect(self, channel: ChannelConfig, webhook_url: str,
                   http: requests.Session) -> None:
        """Called after a channel is created (Telegram registers its webhook here)."""

    def generated_credentials(self) -> dict[str, str]:
        """Secrets the hub generates for a new channel (e.g. Telegram's secret token)."""
        return {}

    def required_credentials(self) -> tuple[str, ...]:
        return ()
