"""What a visitor sends: messages into the webhook pipeline, files, typing; rate limited."""
from __future__ import annotations

from typing import Any, Optional

from connectors.widget import TOKEN_HEADER, event_body
from connectors.widget.tokens import VisitorClaims
from hub import ratelimit
from hub.attachments import store_file
from hub.companies import company_settings
from hub.errors import Forbidden, NotFound, TooManyRequests, Unavailable, ValidationError
from hub.models import Attachment, Channel, Company, Widget, utcnow
from hub.typing_indicator import relay_typing
from hub.settings import get_settings
from hub.widget_access import bump
from hub.widget_visitors import file_url, open_conversation, visitor_contact

# Messages a visitor may send per minute, and messages per minute from one IP address.
VISITOR_LIMIT, IP_LIMIT, WINDOW_SECONDS = 20, 60, 60
MAX_TEXT = 4000
# Where a staged upload records its uploader, so a visitor can only send their own files.
UPLOADER_PREFIX = "widget-visitor:"


def check_rate(widget: Widget, visitor_id: str, address: str, what: str = "send") -> None:
    """429 once a visitor or an address sends more than allowed."""
    for name, limit in ((f"widget:{what}:v:{widget.id}:{visitor_id}", VISITOR_LIMIT),
                        (f"widget:{what}:ip:{address}", IP_LIMIT)):
        allowed, reset_in = ratelimit.hit(name, limit, WINDOW_SECONDS)
        if not allowed:
            raise TooManyRequests("too many messages; wait a moment", retry_after=int(reset_in))


def _visitor_profile(widget: Widget, visitor_id: str) -> dict[str, Any]:
    contact = visitor_contact(widget, visitor_id)
    if contact is None:
        return {}
    return {"name": contact.name or None, "email": contact.email, "phone": contact.phone,
            "fields": contact.custom_fields or {}}


def submit_message(widget: Widget, claims: VisitorClaims, token: str, *, client_message_id: str,
                   text: str, attachment_ids: Optional[list[str]] = None) -> tuple[str, bool]:
    """Store the visitor's message as a raw widget event (the webhook pipeline takes it from
    there); (event id, created). Sending the same client id again creates nothing new."""
    attachment_ids = list(dict.fromkeys(attachment_ids or []))
    text = (text or "").strip()
    if len(text) > MAX_TEXT:
        raise ValidationError(f"a message is at most {MAX_TEXT} characters", code="too_long")
    if not text and not attachment_ids:
        raise ValidationError("a message needs text or a file", code="empty_message")
    files = []
    if attachment_ids:
        files = list(Attachment.select().where(
            (Attachment.id.in_(attachment_ids)) & (Attachment.company == widget.company_id)
            & (Attachment.source_url == UPLOADER_PREFIX + claims.visitor_id)))
        if len(files) != len(attachment_ids):
            raise NotFound("attachment not found")
    base = get_settings().public_url
    body = event_body(
        widget_id=widget.id, visitor_id=claims.visitor_id, client_message_id=client_message_id,
        text=text, sent_at=utcnow(), visitor=_visitor_profile(widget, claims.visitor_id),
        attachments=[{"id": a.id, "kind": a.kind, "name": a.name, "mimeType": a.content_type,
                      "size": a.size, "sha256": a.sha256, "url": base + file_url(widget.id, a)}
                     for a in files])
    try:
        from hub.webhook_intake import store_raw_event
    except ImportError:  # the inbound lane's intake is part of every real deployment
        raise Unavailable("the message pipeline is not available", code="pipeline_missing") from None
    channel = Channel.get_by_id(widget.channel_id)
    event, created = store_raw_event(channel, body,
                                     f"{claims.visitor_id}:{client_message_id}"[:128],
                                     {TOKEN_HEADER: token, "Content-Type": "application/json"})
    if created:
        bump(widget, "messages")
    return event.id, created


def upload_file(widget: Widget, claims: VisitorClaims, content: bytes,
                filename: Optional[str]) -> Attachment:
    """Stage a visitor's file (if the company shares files) until a message carries it."""
    settings = company_settings(Company.get_by_id(widget.company_id))["chat"]
    if not settings["fileSharing"]:
        raise Forbidden("file sharing is disabled", code="file_sharing_disabled")
    return store_file(widget.company_id, content, filename or "file",
                      max_bytes=min(int(settings["maxFileSize"]),
                                    get_settings().max_upload_bytes),
                      source_url=UPLOADER_PREFIX + claims.visitor_id)


def visitor_typing(widget: Widget, claims: VisitorClaims, typing: bool) -> bool:
    """Tell the agents the visitor is typing (only once a conversation exists)."""
    contact = visitor_contact(widget, claims.visitor_id)
    conversation = open_conversation(widget, contact) if contact else None
    if conversation is None or conversation.status != "active":
        return False
    # The realtime lane's relay: the agents' inbox shows it, throttled and expiring on its own.
    relay_typing(widget.company_id, conversation.id, f"contact:{contact.id}", bool(typing),
                 name=contact.name, sender_type="customer")
    return True
