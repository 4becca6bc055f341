"""One Messenger / Instagram `messaging[]` item -> one normalized event.

The item's kind is the first known key it carries (message, read, delivery, ...); each kind is
one small function, and kinds known but not acted on (referral, optin, ...) become Ignored.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from connectors.meta import from_epoch
from hub.events import (ContactProfile, Ignored, InboundMessage, MediaRef, MessageDeletion,
                        MessageEdit, NormalizedEvent, Reaction, ReadWatermark, StatusUpdate)

# Attachment types that are files to download, and the MediaRef kind each becomes.
MEDIA_KINDS = {"image": "image", "video": "video", "audio": "audio", "file": "file",
               "ig_reel": "video", "reel": "video"}
# Attachment types that are links to something else (a shared post, a URL preview).
LINK_TYPES = ("fallback", "share", "template", "ig_post", "story")
# Item kinds known and deliberately not acted on.
IGNORED_KINDS = ("referral", "optin", "account_linking", "policy_enforcement", "pass_thread_control",
                 "take_thread_control", "request_thread_control", "app_roles", "game_play")

Item = dict[str, Any]


def _contact(item: Item, key: str) -> ContactProfile:
    return ContactProfile(external_id=str((item.get(key) or {}).get("id", "")))


def _message(item: Item, ts: datetime, read_by_mid: bool) -> NormalizedEvent:
    message = item["message"]
    echo = bool(message.get("is_echo"))
    # For an echo the page is the sender; the conversation belongs to the customer.
    contact = _contact(item, "recipient" if echo else "sender")
    mid = str(message.get("mid", ""))
    if message.get("is_deleted"):
        return MessageDeletion(provider_message_id=mid, contact=contact, timestamp=ts)
    media, links, payload = [], [], {}
    message_type = "text"
    for attachment in message.get("attachments") or []:
        kind, body = attachment.get("type"), attachment.get("payload") or {}
        if kind == "story_mention":
            message_type = "story_mention"
            payload["story_url"] = body.get("url")
        elif kind in MEDIA_KINDS:
            media.append(MediaRef(kind=MEDIA_KINDS[kind], url=body.get("url")))
        elif kind in LINK_TYPES:
            links.append({"type": kind, "url": body.get("url") or attachment.get("url"),
                          "title": body.get("title") or attachment.get("title")})
    if media and message_type == "text":
        message_type = "document" if media[0].kind == "file" else media[0].kind
    if links:
        payload["links"] = links
    reply_to = message.get("reply_to") or {}
    if reply_to.get("story"):
        message_type = "story_reply"
        payload.update(story_url=reply_to["story"].get("url"), story_id=reply_to["story"].get("id"))
    if message.get("quick_reply"):
        payload["quick_reply"] = message["quick_reply"].get("payload")
    if message.get("is_unsupported"):
        message_type = "unsupported"
    text = message.get("text")
    if text is None and links and message_type == "text":
        text = links[0]["url"]  # a bare shared link reads as its URL
    return InboundMessage(provider_message_id=mid, contact=contact, timestamp=ts,
                          message_type=message_type, text=text,
                          direction="out" if echo else "in", media=media,
                          reply_to_provider_id=reply_to.get("mid"), payload=payload)


def _read(item: Item, ts: datetime, read_by_mid: bool) -> NormalizedEvent:
    read = item["read"]
    if read_by_mid and read.get("mid"):
        return StatusUpdate(provider_message_id=str(read["mid"]), status="read", timestamp=ts,
                            recipient_id=_contact(item, "sender").external_id)
    if read.get("watermark") is None:
        return Ignored(event_type="read", reason="no watermark")
    return ReadWatermark(contact=_contact(item, "sender"),
                         watermark=from_epoch(read["watermark"], millis=True), timestamp=ts)


def _delivery(item: Item, ts: datetime, read_by_mid: bool) -> list[NormalizedEvent]:
    recipient = _contact(item, "sender").external_id
    mids = item["delivery"].get("mids") or []
    return [StatusUpdate(provider_message_id=str(mid), status="delivered", timestamp=ts,
                         recipient_id=recipient) for mid in mids]


def _reaction(item: Item, ts: datetime, read_by_mid: bool) -> NormalizedEvent:
    reaction = item["reaction"]
    emoji = reaction.get("emoji") or reaction.get("reaction")
    return Reaction(target_provider_message_id=str(reaction.get("mid", "")),
                    contact=_contact(item, "sender"), timestamp=ts,
                    emoji=None if reaction.get("action") == "unreact" else emoji)


def _postback(item: Item, ts: datetime, read_by_mid: bool) -> NormalizedEvent:
    postback = item["postback"]
    sender = _contact(item, "sender")
    # Older postbacks carry no mid; sender + time is unique enough to dedupe redeliveries.
    mid = postback.get("mid") or f"postback:{sender.external_id}:{item.get('timestamp')}"
    return InboundMessage(provider_message_id=str(mid), contact=sender, timestamp=ts,
                          message_type="postback", text=postback.get("title"),
                          payload={k: postback[k] for k in ("payload", "referral")
                                   if postback.get(k) is not None})


def _edit(item: Item, ts: datetime, read_by_mid: bool) -> NormalizedEvent:
    edit = item["message_edit"]
    return MessageEdit(provider_message_id=str(edit.get("mid", "")),
                       contact=_contact(item, "sender"), timestamp=ts, text=edit.get("text"))


KIND_PARSERS: dict[str, Callable[[Item, datetime, bool], Any]] = {
    "message": _message, "read": _read, "delivery": _delivery, "reaction": _reaction,
    "postback": _postback, "message_edit": _edit,
}


def parse_messaging(item: Item, *, read_by_mid: bool) -> list[NormalizedEvent]:
    """The events of one `messaging[]` item (a delivery item may confirm several mids)."""
    ts = from_epoch(item.get("timestamp") or 0, millis=True)
    for kind, parser in KIND_PARSERS.items():
        if kind in item:
            result = parser(item, ts, read_by_mid)
            return result if isinstance(result, list) else [result]
    known = next((k for k in IGNORED_KINDS if k in item), None)
    if known:
        return [Ignored(event_type=known, reason="known, not handled")]
    keys = sorted(set(item) - {"sender", "recipient", "timestamp"})
    return [Ignored(event_type=keys[0] if keys else "unknown", reason="unknown messaging item")]
