"""What a delivery attempt needs besides the send: the OutboundMessage, rate limits, backoff.

Provider limits and retry knobs are data here; a channel's settings override them
(`ratePerSecond`, `ratePerRecipient`, `maxRetries`, `retryBaseSeconds`).
"""
from __future__ import annotations

import hashlib
import hmac
import random
import time
from datetime import datetime, timedelta
from typing import Any, Optional

from connectors.base import (OutboundMedia, OutboundMessage, PermanentSendError,
                             TransientSendError)
from hub.attachments import file_path
from hub.models import Attachment, Channel, Message
from hub.ratelimit import take_turn, try_acquire_slot
from hub.settings import get_settings

# Documented provider limits, messages per second: (per account, per recipient).
# WhatsApp Cloud API 80/s per number; Telegram ~30/s per bot and 1/s per chat; Messenger Send
# API 300 calls/s per page; Instagram 100 calls/s per professional account.
PROVIDER_RATES: dict[str, tuple[Optional[float], Optional[float]]] = {
    "whatsapp": (80, None), "telegram": (30, 1), "messenger": (300, None),
    "instagram": (100, None),
}
# Pace at this share of a limit: the provider measures arrivals, and network jitter between
# two sends must not make them look closer than the limit allows.
RATE_SAFETY = 0.95
# A slot opening within this many seconds is waited for in the worker; a later one re-schedules
# the delivery (without using a retry) so a worker thread is not held for long.
MAX_INLINE_WAIT = 2.0
# Longest wait in a worker for a recipient's turn (parts of other messages to the same chat).
MAX_RECIPIENT_WAIT = 30.0
# Exponential backoff: first retry after about this many seconds, never more than the cap.
RETRY_BASE_SECONDS = 2.0
RETRY_MAX_SECONDS = 900.0
# Attachment kinds -> OutboundMedia kinds ("file" is a document to every provider).
MEDIA_KINDS = {"image": "image", "video": "video", "audio": "audio", "voice": "voice",
               "document": "document", "file": "document", "sticker": "sticker"}
# Kinds whose send API wants media by public URL rather than uploaded bytes.
URL_ONLY_KINDS = ("instagram",)
# Seconds a signed public media link stays valid (the provider fetches it right away).
MEDIA_LINK_TTL = 24 * 3600


def max_retries(channel: Channel) -> int:
    """Retries after the first attempt: the channel's `maxRetries` or the hub setting."""
    value = (channel.settings or {}).get("maxRetries")
    return int(value) if value is not None else get_settings().delivery_max_retries


def next_attempt_at(channel: Channel, attempt: int, now: datetime,
                    retry_after: Optional[float]) -> datetime:
    """When to try again: exactly the provider's Retry-After, else backoff with jitter."""
    if retry_after is not None:
        return now + timedelta(seconds=retry_after)
    base = float((channel.settings or {}).get("retryBaseSeconds") or RETRY_BASE_SECONDS)
    delay = min(base * 2 ** (attempt - 1), RETRY_MAX_SECONDS)
    return now + timedelta(seconds=random.uniform(delay / 2, delay))  # "equal jitter"


def rates(channel: Channel) -> tuple[Optional[float], Optional[float]]:
    """(per account, per recipient) messages per second for this channel."""
    account, recipient = PROVIDER_RATES.get(channel.kind, (None, None))
    settings = channel.settings or {}
    account = float(settings.get("ratePerSecond") or account or 0) or None
    recipient = float(settings.get("ratePerRecipient") or recipient or 0) or None
    return account, recipient


def take_send_slot(channel: Channel, recipient_id: str) -> float:
    """Reserve this send's slot in every shared limit; 0, or seconds until one opens.

    The strict per-recipient limit goes first, so a refused send wastes no account slot.
    """
    account, recipient = rates(channel)
    limits = []
    if recipient:
        limits.append((f"send:{channel.id}:{recipient_id}", recipient))
    if account:
        limits.append((f"send:{channel.id}", account))
    longest = 0.0
    for name, per_second in limits:
        reserved, wait = try_acquire_slot(name, per_second * RATE_SAFETY, MAX_INLINE_WAIT)
        if not reserved:
            return max(wait, 0.001)
        longest = max(longest, wait)
    if longest > 0:
        time.sleep(longest)
    return 0.0


def keep_recipient_gap(channel: Channel, recipient_id: str) -> None:
    """Before each request to a recipient: wait until its last one is a full interval ago.

    Per-recipient limits are strict (Telegram: 1 message per second per chat), so the real
    request starts are spaced, not only the reserved slots, and every part of a multi-part
    send counts. Raises TransientSendError after MAX_RECIPIENT_WAIT (the send is retried).
    """
    _, per_recipient = rates(channel)
    if not per_recipient:
        return
    gap = 1.0 / (per_recipient * RATE_SAFETY)
    deadline = time.monotonic() + MAX_RECIPIENT_WAIT
    while True:
        wait = take_turn(f"send:{channel.id}:{recipient_id}", gap)
        if wait <= 0:
            return
        if time.monotonic() + wait > deadline:
            raise TransientSendError("the recipient's rate limit kept this send waiting",
                                     code="recipient_rate_limit")
        time.sleep(wait)


def public_media_url(attachment: Attachment) -> str:
    """A signed link the provider can fetch without a token (Instagram wants URLs)."""
    expires = int(time.time()) + MEDIA_LINK_TTL
    return (f"{get_settings().public_url}/api/deliveries/media/{attachment.id}"
            f"?expires={expires}&sig={media_signature(attachment.id, expires)}")


def media_signature(attachment_id: str, expires: int) -> str:
    secret = get_settings().secret_key.encode()
    return hmac.new(secret, f"{attachment_id}:{expires}".encode(), hashlib.sha256).hexdigest()


def _media(channel: Channel, attachment: Attachment) -> OutboundMedia:
    media = OutboundMedia(kind=MEDIA_KINDS.get(attachment.kind, "document"),
                          filename=attachment.name, mime_type=attachment.content_type)
    if channel.kind in URL_ONLY_KINDS or (channel.settings or {}).get("mediaByUrl"):
        media.url = public_media_url(attachment)
        return media
    path = file_path(attachment)
    if path is None or not path.exists():
        raise PermanentSendError(f"attachment {attachment.id} has no stored file",
                                 code="attachment_missing")
    media.content = path.read_bytes()
    return media


def build_outbound(message: Message, channel: Channel, recipient_id: Optional[str],
                   attachments: list[Attachment],
                   reply_to_provider_id: Optional[str]) -> OutboundMessage:
    """The OutboundMessage of a stored agent message, from the parts the delivery loaded with
    it; PermanentSendError when it cannot go."""
    if recipient_id is None:
        raise PermanentSendError("the contact has no identity on this channel",
                                 code="no_recipient")
    payload: dict[str, Any] = message.payload or {}
    return OutboundMessage(
        recipient_id=recipient_id, text=message.content or None,
        media=[_media(channel, a) for a in attachments], template=payload.get("template"),
        reply_to_provider_id=message.reply_to_provider_id or reply_to_provider_id,
        tag=payload.get("tag"), idempotency_key=message.id,
        skip_parts=len(payload.get("providerMessageIds") or []))
