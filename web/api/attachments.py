"""`GET /api/chat/attachments/<id>`: the file (or its thumbnail), never rendered inline."""
from __future__ import annotations

import unicodedata
from urllib.parse import quote

from flask import send_file

from hub import attachments as files
from hub.chat_messages import attachment_for
from hub.errors import NotFound
from schemas.messages import AttachmentQuerySchema
from web.api.blueprint import bp
from web.auth import current_principal
from web.loading import load_query
from web.openapi import doc


def content_disposition(name: str) -> str:
    """`attachment` with an ASCII fallback name and the exact name per RFC 5987."""
    ascii_name = (unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
                  .replace("\\", "_").replace('"', "_")) or "file"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


@bp.get("/chat/attachments/<attachment_id>")
@doc(summary="Download an attachment; `thumbnail=1` for an image's thumbnail (PNG)",
     tags=("chat messages",), query=AttachmentQuerySchema,
     content_type="*/*", errors=(404,))
def download_attachment(attachment_id: str):
    attachment = attachment_for(current_principal(), attachment_id)
    args = load_query(AttachmentQuerySchema())
    thumbnail = args["thumbnail"]
    path = files.file_path(attachment, thumbnail=thumbnail)
    if path is None or not path.is_file():
        raise NotFound("thumbnail not found" if thumbnail else "file not found")
    mimetype = "image/png" if thumbnail else attachment.content_type
    response = send_file(path, mimetype=mimetype, conditional=True, max_age=0)
    name = attachment.name
    if thumbnail:
        name = name.rsplit(".", 1)[0] + ".thumb.png"
    response.headers["Content-Disposition"] = content_disposition(name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Even if a browser opened it, a sandboxed document cannot run scripts on our origin.
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "private, max-age=0"
    return response
