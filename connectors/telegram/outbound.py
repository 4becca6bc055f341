"""Sending to Telegram: long texts split at natural boundaries, media by URL, id or upload."""
from __future__ import annotations

from typing import Any, Callable, Optional

import requests

from connectors.base import (ChannelConfig, OutboundMedia, OutboundMessage, PermanentSendError,
                             SendError, SendResult)
from connectors.telegram import api

# Bot API limits, in UTF-16 code units (an emoji outside the BMP counts twice).
MAX_TEXT = 4096
MAX_CAPTION = 1024
# Send method and its file field per OutboundMedia.kind; anything else goes as a document.
MEDIA_METHODS = {
    "image": ("sendPhoto", "photo"),
    "video": ("sendVideo", "video"),
    "audio": ("sendAudio", "audio"),
    "voice": ("sendVoice", "voice"),
    "sticker": ("sendSticker", "sticker"),
    "document": ("sendDocument", "document"),
}
# Where to prefer cutting a long text, best first.
SPLIT_SEPARATORS = ("\n\n", "\n", " ")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fitting_prefix(text: str, limit: int) -> int:
    """The largest number of characters from the start whose UTF-16 length is <= limit."""
    if utf16_len(text) <= limit:
        return len(text)
    lo, hi = 0, min(len(text), limit)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if utf16_len(text[:mid]) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return lo


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Chunks of at most `limit` UTF-16 units, cut at a paragraph, line or space when possible."""
    chunks: list[str] = []
    while utf16_len(text) > limit:
        cut = _fitting_prefix(text, limit)
        for sep in SPLIT_SEPARATORS:
            # A separator starting right at the limit is still a clean cut.
            at = text.rfind(sep, 0, cut + len(sep))
            # Cutting very early would leave a tiny chunk: then a hard cut is better.
            if at > limit // 4:
                chunks.append(text[:at])
                text = text[at + len(sep):]
                break
        else:
            chunks.append(text[:cut])
            text = text[cut:]
    if text.strip():
        chunks.append(text)
    return chunks


def reply_parameters(reply_to_provider_id: Optional[str]) -> Optional[dict[str, Any]]:
    """Our "chat:message" id to reply_parameters; a deleted original must not fail the send."""
    if not reply_to_provider_id:
        return None
    message_id = reply_to_provider_id.rsplit(":", 1)[-1]
    if not message_id.isdigit():
        return None
    return {"message_id": int(message_id), "allow_sending_without_reply": True}


def _send_media(channel: ChannelConfig, chat_id: str, media: OutboundMedia,
                caption: Optional[str], reply: Optional[dict[str, Any]],
                http: requests.Session) -> dict[str, Any]:
    method, field = MEDIA_METHODS.get(media.kind, MEDIA_METHODS["document"])
    params: dict[str, Any] = {"chat_id": chat_id, "caption": caption, "reply_parameters": reply}
    if media.content is not None:
        upload = (media.filename or f"{field}", media.content,
                  media.mime_type or "application/octet-stream")
        return api.call(channel, method, http, params=params, files={field: upload})
    params[field] = media.provider_media_id or media.url
    return api.call(channel, method, http, params=params)


def _steps(channel: ChannelConfig, msg: OutboundMessage, http: requests.Session
           ) -> list[Callable[[Optional[dict[str, Any]]], dict[str, Any]]]:
    """One call per part, in order; each takes the reply parameters (only the first replies)."""
    chat_id = msg.recipient_id
    text = msg.text or ""
    media_items = list(msg.media)
    # A lone file takes the message text as its caption, like the agent's composer shows it.
    if len(media_items) == 1 and text and not media_items[0].caption:
        captions, text = [text], ""
    else:
        captions = [m.caption or "" for m in media_items]
    if not text.strip() and not media_items:
        raise PermanentSendError("nothing to send: the message has neither text nor media",
                                 code="empty_message")

    def text_step(chunk: str) -> Callable[[Optional[dict[str, Any]]], dict[str, Any]]:
        return lambda reply: api.call(channel, "sendMessage", http, params={
            "chat_id": chat_id, "text": chunk, "reply_parameters": reply})

    steps = [text_step(chunk) for chunk in split_text(text)]
    for media, caption in zip(media_items, captions):
        fits = utf16_len(caption) <= MAX_CAPTION
        steps.append(lambda reply, media=media, cap=(caption if fits and caption else None):
                     _send_media(channel, chat_id, media, cap, reply, http))
        if not fits:  # too long for a caption: it follows the file as text
            steps.extend(text_step(chunk) for chunk in split_text(caption))
    return steps


def send(channel: ChannelConfig, msg: OutboundMessage, http: requests.Session) -> SendResult:
    """Send text chunks and media in order, from part `msg.skip_parts` on.

    Only the first part replies to the original; an error after some parts went out carries
    their ids in `partial_provider_ids`, so the caller can skip them on retry.
    """
    reply = reply_parameters(msg.reply_to_provider_id)
    results: list[dict[str, Any]] = []
    try:
        for index, step in enumerate(_steps(channel, msg, http)):
            if index < msg.skip_parts:
                continue
            if msg.before_request:
                msg.before_request()
            results.append(step(reply if index == 0 else None))
    except SendError as exc:
        exc.partial_provider_ids = _ids(results)
        raise
    return SendResult(provider_message_ids=_ids(results), http_status=200, raw=results)


def _ids(results: list[dict[str, Any]]) -> list[str]:
    return [f"{r['chat']['id']}:{r['message_id']}" for r in results]
