"""Attachment files: stored outside the web root, type sniffed from content, names sanitised.

Both uploads by agents and media downloaded from providers go through `store_file`.
"""
from __future__ import annotations

import hashlib
import io
import mimetypes
import os
import re
import unicodedata
from pathlib import Path
from typing import Optional

from hub.errors import PayloadTooLarge, ValidationError
from hub.models import Attachment, new_id
from hub.settings import get_settings

# Longest side of a thumbnail, in pixels.
THUMBNAIL_SIZE = 320
# Magic numbers of the types we recognise; anything else is application/octet-stream.
SIGNATURES: list[tuple[bytes, int, str]] = [
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"%PDF-", 0, "application/pdf"),
    (b"OggS", 0, "audio/ogg"),
    (b"ID3", 0, "audio/mpeg"),
    (b"\xff\xfb", 0, "audio/mpeg"),
    (b"PK\x03\x04", 0, "application/zip"),
    (b"\x1aE\xdf\xa3", 0, "video/webm"),
]
KIND_BY_TYPE = {"image": "image", "video": "video", "audio": "audio"}


def sniff_type(content: bytes) -> str:
    """The content type judged from the bytes, never from what the client claimed."""
    for magic, offset, content_type in SIGNATURES:
        if content[offset:offset + len(magic)] == magic:
            return content_type
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    if content[:4] == b"RIFF" and content[8:12] == b"WAVE":
        return "audio/wav"
    if content[4:8] == b"ftyp":
        return "audio/mp4" if content[8:11] == b"M4A" else "video/mp4"
    try:
        text = content[:4096].decode("utf-8")
        if "\x00" not in text:
            return "text/plain"
    except UnicodeDecodeError:
        pass
    return "application/octet-stream"


def safe_filename(name: Optional[str], content_type: str) -> str:
    """A file name without paths, control characters or shell-hostile characters."""
    name = unicodedata.normalize("NFKC", os.path.basename((name or "").replace("\\", "/")))
    name = re.sub(r"[^\w.\- ()]+", "_", name).strip(" .")[:120]
    if not name:
        name = "file" + (mimetypes.guess_extension(content_type) or "")
    return name


def _image_info(content: bytes, target: Path) -> tuple[Optional[int], Optional[int], Optional[str]]:
    """Width, height and a thumbnail path of an image (None where Pillow cannot read it)."""
    try:
        from PIL import Image

        with Image.open(io.BytesIO(content)) as image:
            width, height = image.size
            image.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
            thumb = target.with_suffix(".thumb.png")
            image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB").save(thumb, "PNG")
            return width, height, thumb.name
    except Exception:  # not an image Pillow knows, or a truncated one: store it as a file
        return None, None, None


def write_file(company_id: str, attachment_id: str, content: bytes, filename: Optional[str] = None,
               max_bytes: Optional[int] = None, kind: Optional[str] = None) -> dict:
    """Check and write `content` for `attachment_id`; the Attachment fields that describe it."""
    limit = max_bytes or get_settings().max_upload_bytes
    if len(content) > limit:
        raise PayloadTooLarge(f"the file is larger than {limit} bytes", code="file_too_large")
    if not content:
        raise ValidationError("the file is empty", code="empty_file")
    content_type = sniff_type(content)
    relative = Path(company_id) / attachment_id[:4] / attachment_id
    target = get_settings().attachments_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as fh:
        fh.write(content)
        fh.flush()
        os.fsync(fh.fileno())
    width = height = None
    thumbnail = None
    if content_type.startswith("image/"):
        width, height, thumb_name = _image_info(content, target)
        thumbnail = str(relative.parent / thumb_name) if thumb_name else None
    kind = kind or KIND_BY_TYPE.get(content_type.split("/")[0], "document")
    return dict(name=safe_filename(filename, content_type), content_type=content_type,
                size=len(content), storage_path=str(relative), thumbnail_path=thumbnail,
                sha256=hashlib.sha256(content).hexdigest(), width=width, height=height,
                kind=kind)


def store_file(company_id: str, content: bytes, filename: Optional[str] = None,
               max_bytes: Optional[int] = None, kind: Optional[str] = None,
               **fields) -> Attachment:
    """Write `content` under the attachments dir and create its Attachment row (no message yet)."""
    attachment_id = new_id()
    described = write_file(company_id, attachment_id, content, filename, max_bytes, kind)
    return Attachment.create(id=attachment_id, company=company_id, status="ready",
                             **described, **fields)


def file_path(attachment: Attachment, thumbnail: bool = False) -> Optional[Path]:
    relative = attachment.thumbnail_path if thumbnail else attachment.storage_path
    return get_settings().attachments_dir / relative if relative else None
