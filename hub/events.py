"""Normalized events: what a connector's `parse` hands to the core.

Connectors turn provider payloads into these small dataclasses; the core never sees a provider
payload and a connector never sees a database row.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Optional, Union


@dataclass
class ContactProfile:
    """Who wrote: the provider's identity for the contact (phone, IGSID, PSID, Telegram chat)."""

    external_id: str
    name: Optional[str] = None
    phone: Optional[str] = None
    username: Optional[str] = None
    avatar_url: Optional[str] = None


@dataclass
class MediaRef:
    """A file attached to a provider message, to be downloaded by a follow-up job."""

    kind: str  # image, video, audio, voice, document, sticker, file
    provider_media_id: Optional[str] = None  # WhatsApp media id, Telegram file_id
    url: Optional[str] = None  # Meta attachment URL
    mime_type: Optional[str] = None
    filename: Optional[str] = None
    size: Optional[int] = None
    sha256: Optional[str] = None


@dataclass
class InboundMessage:
    """A message from the contact, or an echo of one we sent from the provider's own app."""

    provider_message_id: str
    contact: ContactProfile
    timestamp: datetime  # provider time, UTC, naive
    message_type: str  # text, image, video, audio, voice, document, sticker, location, contacts,
    # interactive, button, postback, story_reply, story_mention, system, unsupported
    text: Optional[str] = None
    direction: str = "in"  # "out" for echoes of messages sent from the provider's app
    media: list[MediaRef] = field(default_factory=list)
    reply_to_provider_id: Optional[str] = None
    payload: dict[str, Any] = field(default_factory=dict)  # type-specific details
    sender_name: Optional[str] = None  # the member who wrote, in group chats


@dataclass
class MessageEdit:
    """The contact edited a message we stored (Telegram edited_message)."""

    provider_message_id: str
    contact: ContactProfile
    timestamp: datetime
    text: Optional[str]


@dataclass
class MessageDeletion:
    """The contact unsent a message (Instagram / Messenger is_deleted)."""

    provider_message_id: str
    contact: ContactProfile
    timestamp: datetime


@dataclass
class Reaction:
    """A reaction to a stored message; emoji None means the reaction was removed."""

    target_provider_message_id: str
    contact: ContactProfile
    timestamp: datetime
    emoji: Optional[str]


@dataclass
class StatusUpdate:
    """Delivery status of a message we sent: sent < delivered < read; failed keeps its error."""

    provider_message_id: str
    status: str  # sent, delivered, read, failed
    timestamp: datetime
    recipient_id: Optional[str] = None
    error_code: Optional[str] = None
    error_reason: Optional[str] = None


@dataclass
class ReadWatermark:
    """The contact read everything we sent up to `watermark` (Messenger / Instagram `read`)."""

    contact: ContactProfile
    watermark: datetime
    timestamp: datetime


@dataclass
class Ignored:
    """A known or unknown event type that the hub stores but does not act on."""

    event_type: str
    reason: str = "ignored"


NormalizedEvent = Union[
    InboundMessage, MessageEdit, MessageDeletion, Reaction, StatusUpdate, ReadWatermark, Ignored
]
