"""Telegram updates to normalized events: messages, edits and button presses."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable, Optional

from hub.events import ContactProfile, Ignored, InboundMessage, MediaRef, MessageEdit, \
    NormalizedEvent

# Update kinds the hub knows and leaves alone on purpose (answered 2xx, stored as ignored).
IGNORED_UPDATES = {
    "channel_post", "edited_channel_post", "my_chat_member", "chat_member", "chat_join_request",
    "poll", "poll_answer", "inline_query", "chosen_inline_result", "shipping_query",
    "pre_checkout_query", "message_reaction", "message_reaction_count", "chat_boost",
    "removed_chat_boost", "business_connection", "business_message", "edited_business_message",
    "deleted_business_messages", "purchased_paid_media",
}
# Message fields carrying a file: (message_type, MediaRef kind, MIME when Telegram gives none).
MEDIA_FIELDS = {
    "animation": ("video", "video", "video/mp4"),  # GIFs; Telegram also sets `document`
    "document": ("document", "document", None),
    "voice": ("voice", "voice", "audio/ogg"),
    "audio": ("audio", "audio", "audio/mpeg"),
    "video": ("video", "video", "video/mp4"),
    "video_note": ("video", "video", "video/mp4"),
}
# Extra numeric details of a file worth keeping in the payload.
MEDIA_DETAILS = ("file_unique_id", "width", "height", "duration", "performer", "title")


def timestamp(seconds: Optional[int]) -> datetime:
    """Telegram's Unix seconds as a naive UTC datetime (now when the update has none)."""
    moment = (datetime.fromtimestamp(seconds, tz=timezone.utc) if seconds
              else datetime.now(timezone.utc))
    return moment.replace(tzinfo=None)


def _person_name(user: dict[str, Any]) -> Optional[str]:
    name = " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p)
    return name or user.get("username")


def contact_of(chat: dict[str, Any]) -> ContactProfile:
    """The contact is the chat: a private chat's person or a group's title."""
    if chat.get("type") == "private":
        name = _person_name(chat)
    else:
        name = chat.get("title")
    return ContactProfile(external_id=str(chat["id"]), name=name, username=chat.get("username"))


def _sender_name(message: dict[str, Any]) -> Optional[str]:
    """Who wrote in a group: the member, or the chat an anonymous admin posted as."""
    if message["chat"].get("type") == "private":
        return None
    if message.get("sender_chat"):
        return message["sender_chat"].get("title")
    return _person_name(message.get("from") or {})


def provider_id(chat_id: Any, message_id: Any) -> str:
    """Telegram message ids count per chat, so the chat is part of our id."""
    return f"{chat_id}:{message_id}"


def _content(message: dict[str, Any]) -> Optional[tuple[str, list[MediaRef], dict[str, Any]]]:
    """(message_type, media, payload) of a message, or None for content the hub ignores."""
    if "text" in message:
        return "text", [], {"entities": message["entities"]} if message.get("entities") else {}
    if message.get("photo"):
        best = max(message["photo"], key=lambda p: (p.get("file_size") or 0, p.get("width", 0)))
        ref = MediaRef(kind="image", provider_media_id=best["file_id"], mime_type="image/jpeg",
                       size=best.get("file_size"))
        return "image", [ref], {k: best[k] for k in MEDIA_DETAILS if k in best}
    for field, (mtype, kind, mime) in MEDIA_FIELDS.items():
        if field in message:
            f = message[field]
            ref = MediaRef(kind=kind, provider_media_id=f["file_id"],
                           mime_type=f.get("mime_type") or mime, filename=f.get("file_name"),
                           size=f.get("file_size"))
            return mtype, [ref], {k: f[k] for k in MEDIA_DETAILS if k in f}
    if "sticker" in message:
        s = message["sticker"]
        mime = ("application/x-tgsticker" if s.get("is_animated") else
                "video/webm" if s.get("is_video") else "image/webp")
        ref = MediaRef(kind="sticker", provider_media_id=s["file_id"], mime_type=mime,
                       size=s.get("file_size"))
        return "sticker", [ref], {"emoji": s.get("emoji"), "set_name": s.get("set_name")}
    if "location" in message:
        loc = message["location"]
        payload = {"latitude": loc["latitude"], "longitude": loc["longitude"]}
        if "venue" in message:  # a venue carries its location plus a name and address
            payload.update(name=message["venue"].get("title"),
                           address=message["venue"].get("address"))
        return "location", [], payload
    if "contact" in message:
        c = message["contact"]
        card = {"name": {"formatted_name": _person_name(c), "first_name": c.get("first_name"),
                         "last_name": c.get("last_name")},
                "phones": [{"phone": c.get("phone_number")}]}
        if c.get("user_id"):
            card["telegram_user_id"] = c["user_id"]
        if c.get("vcard"):
            card["vcard"] = c["vcard"]
        return "contacts", [], {"contacts": [card]}
    return None


def _message(update: dict[str, Any]) -> list[NormalizedEvent]:
    message = update["message"]
    content = _content(message)
    if content is None:
        kinds = sorted(set(message) - {"message_id", "from", "chat", "date", "sender_chat"})
        return [Ignored("message", reason=f"unsupported content: {', '.join(kinds[:3])}")]
    mtype, media, payload = content
    chat = message["chat"]
    reply = message.get("reply_to_message")
    return [InboundMessage(
        provider_message_id=provider_id(chat["id"], message["message_id"]),
        contact=contact_of(chat), timestamp=timestamp(message.get("date")),
        message_type=mtype, text=message.get("text", message.get("caption")), media=media,
        reply_to_provider_id=provider_id(chat["id"], reply["message_id"]) if reply else None,
        payload=payload, sender_name=_sender_name(message),
    )]


def _edited(update: dict[str, Any]) -> list[NormalizedEvent]:
    message = update["edited_message"]
    chat = message["chat"]
    return [MessageEdit(
        provider_message_id=provider_id(chat["id"], message["message_id"]),
        contact=contact_of(chat),
        timestamp=timestamp(message.get("edit_date") or message.get("date")),
        text=message.get("text", message.get("caption")),
    )]


def _callback(update: dict[str, Any]) -> list[NormalizedEvent]:
    query = update["callback_query"]
    message = query.get("message") or {}
    user = query.get("from") or {}
    # Buttons under inline-mode messages have no chat; the user's private chat shares its id.
    chat = message.get("chat") or {**user, "type": "private"}
    on = provider_id(chat["id"], message["message_id"]) if message else None
    in_group = chat.get("type") != "private"
    return [InboundMessage(
        provider_message_id=f"cb:{query['id']}", contact=contact_of(chat),
        timestamp=timestamp(None),  # callback queries carry no date
        message_type="interactive", text=query.get("data"), reply_to_provider_id=on,
        payload={"data": query.get("data"), "callback_query_id": query["id"],
                 "message_id": on, "from_id": user.get("id")},
        sender_name=_person_name(user) if in_group else None,
    )]


HANDLERS: dict[str, Callable[[dict[str, Any]], list[NormalizedEvent]]] = {
    "message": _message, "edited_message": _edited, "callback_query": _callback,
}


def parse_update(update: Any) -> list[NormalizedEvent]:
    """One Telegram update to its normalized events (Ignored for kinds the hub skips)."""
    if not isinstance(update, dict):
        return [Ignored("invalid", reason="update is not a JSON object")]
    for kind, handler in HANDLERS.items():
        if kind in update:
            return handler(update)
    kinds = sorted(k for k in update if k != "update_id")
    kind = kinds[0] if kinds else "empty"
    reason = "ignored" if kind in IGNORED_UPDATES else "unknown update type"
    return [Ignored(kind, reason=reason)]
