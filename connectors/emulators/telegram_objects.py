"""Realistic Bot API objects: User, Chat, PhotoSize/Document/Voice/..., File."""
from __future__ import annotations

import mimetypes
import zlib
from typing import Any, Optional

import requests
from werkzeug.datastructures import FileStorage

from connectors.emulators.state import EmulatorState, StoredMedia

# Per media field: file_id prefix (as Telegram's own ids start), storage folder, default MIME.
MEDIA_KINDS = {
    "photo": ("AgACAgIAAxkBAAI", "photos", "image/jpeg"),
    "document": ("BQACAgIAAxkBAAI", "documents", "application/octet-stream"),
    "voice": ("AwACAgIAAxkBAAI", "voice", "audio/ogg"),
    "audio": ("CQACAgIAAxkBAAI", "music", "audio/mpeg"),
    "video": ("BAACAgIAAxkBAAI", "videos", "video/mp4"),
    "sticker": ("CAACAgIAAxkBAAI", "stickers", "image/webp"),
}
# Seconds the emulator waits when Telegram would fetch a file from a URL.
URL_FETCH_TIMEOUT = 5


class BotApiError(Exception):
    """An error the Bot API answers as {"ok": false, ...}."""

    def __init__(self, code: int, description: str):
        super().__init__(description)
        self.code, self.description = code, description


def bot_user(token: str, full: bool = False) -> dict[str, Any]:
    """The bot's own User object; its id is the number before the token's colon."""
    user: dict[str, Any] = {"id": int(token.split(":")[0]), "is_bot": True,
                            "first_name": "Omnihub Emulator Bot",
                            "username": "omnihub_emulator_bot"}
    if full:
        user.update(can_join_groups=True, can_read_all_group_messages=False,
                    supports_inline_queries=False)
    return user


def chat_for(chat_id: Any) -> Optional[dict[str, Any]]:
    """The Chat object a chat_id names: users are positive, groups negative, -100... supergroups."""
    if chat_id is None or chat_id == "":
        return None
    text = str(chat_id)
    if text.startswith("@"):
        return {"id": -1000000000000 - zlib.crc32(text.encode()), "title": text[1:],
                "username": text[1:], "type": "channel"}
    try:
        number = int(text)
    except ValueError:
        return None
    if number > 0:
        return {"id": number, "first_name": "Emulated", "last_name": "User", "type": "private"}
    if text.startswith("-100"):
        return {"id": number, "title": "Emulated supergroup", "type": "supergroup"}
    return {"id": number, "title": "Emulated group", "type": "group",
            "all_members_are_administrators": True}


def _store(state: EmulatorState, field: str, content: bytes, mime: Optional[str],
           filename: Optional[str]) -> StoredMedia:
    prefix, folder, default_mime = MEDIA_KINDS[field]
    n = state.number()
    mime = mime if mime and mime != "application/octet-stream" else (
        mimetypes.guess_type(filename or "")[0] or default_mime)
    ext = mimetypes.guess_extension(mime) or ".bin"
    return state.add_media(f"{prefix}{n:015d}", content, mime, filename=filename,
                           file_path=f"{folder}/file_{n}{ext}")


def resolve_input_file(state: EmulatorState, field: str, value: Any,
                       upload: Optional[FileStorage]) -> Optional[StoredMedia]:
    """The file a send method names: an upload, attach://name, a known file_id or a URL."""
    from flask import request
    if isinstance(value, str) and value.startswith("attach://"):
        upload = request.files.get(value[len("attach://"):])
    if upload is not None:
        return _store(state, field, upload.read(), upload.mimetype, upload.filename)
    if not value:
        return None
    known = state.get_media(str(value))
    if known is not None:
        return known  # Telegram lets a bot resend a file by its file_id
    if str(value).startswith(("http://", "https://")):
        try:
            # Telegram's servers fetch the URL themselves; so does the emulator.
            resp = requests.get(value, timeout=URL_FETCH_TIMEOUT)
            resp.raise_for_status()
        except requests.RequestException:
            raise BotApiError(400, "Bad Request: failed to get HTTP URL content")
        name = str(value).rstrip("/").rsplit("/", 1)[-1] or None
        return _store(state, field, resp.content, resp.headers.get("Content-Type", "")
                      .split(";")[0] or None, name)
    raise BotApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")


def media_object(field: str, stored: StoredMedia) -> Any:
    """The Message field for a sent file: a PhotoSize list, or a Document/Voice/... object."""
    base = {"file_id": stored.media_id, "file_unique_id": "AQAD" + stored.media_id[-10:],
            "file_size": len(stored.content)}
    if field == "photo":
        thumb = {**base, "file_id": stored.media_id + "_t", "file_size": len(stored.content) // 8,
                 "width": 90, "height": 68}
        return [thumb, {**base, "width": 1280, "height": 960}]
    if field == "sticker":
        return {**base, "width": 512, "height": 512, "emoji": "\U0001f642", "type": "regular",
                "is_animated": False, "is_video": False}
    obj = {**base, "mime_type": stored.mime_type}
    if field in ("document", "audio", "video") and stored.filename:
        obj["file_name"] = stored.filename
    if field in ("voice", "audio", "video"):
        obj["duration"] = 3
    if field == "video":
        obj.update(width=640, height=360)
    return obj


def file_object(stored: StoredMedia) -> dict[str, Any]:
    """The File object getFile answers."""
    if not stored.file_path:  # seeded by a test without a path: give it one
        stored.file_path = f"documents/{stored.media_id}"
    return {"file_id": stored.media_id, "file_unique_id": "AQAD" + stored.media_id[-10:],
            "file_size": len(stored.content),
            "file_path": stored.file_path}
