"""Messages of a session: `/api/chat/sessions/<id>/messages`, `/read`, `/typing`."""
from __future__ import annotations

import re
from typing import Any

from flask import jsonify, request

from hub import chat_messages
from hub.conversations import get_visible
from schemas.messages import (MESSAGE_JSON, MESSAGE_PAGE_JSON, MULTIPART_MESSAGE,
                              MessageCreateSchema, MessageListQuerySchema,
                              MultipartMessageSchema, ReadSchema, TypingSchema)
from web.api.blueprint import bp
from web.auth import current_principal
from web.loading import load_json, load_query
from web.openapi import doc

TAGS = ("chat messages",)
# Form field names that carry files: `attachments[0]`, `attachments[1]` ... or `attachments`.
FILE_FIELD = re.compile(r"^attachments(\[\d{1,3}\])?$")


@bp.get("/chat/sessions/<session_id>/messages")
@doc(summary="A page of a session's messages, newest last; `before` = a message id (cursor)",
     tags=TAGS, query=MessageListQuerySchema, response_schema=MESSAGE_PAGE_JSON,
     errors=(400, 404))
def list_messages(session_id: str):
    conversation = get_visible(current_principal(), session_id)
    args = load_query(MessageListQuerySchema())
    return jsonify(chat_messages.page(conversation, args.get("before"), args["limit"]))


def message_input() -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
    """The message fields and uploaded files of a JSON or multipart request."""
    if request.mimetype != "multipart/form-data":
        return load_json(MessageCreateSchema()), []
    form = {k: v for k, v in request.form.items()}
    body = MultipartMessageSchema().load(form)
    uploads = []
    for field in sorted(request.files, key=lambda name: (len(name), name)):
        if FILE_FIELD.match(field):
            for storage in request.files.getlist(field):
                uploads.append((storage.filename or "", storage.read()))
    return body, uploads


@bp.post("/chat/sessions/<session_id>/messages")
@doc(summary="Send a message (JSON, or multipart with `attachments[n]` files)", tags=TAGS,
     body=MessageCreateSchema, multipart=MULTIPART_MESSAGE, response_schema=MESSAGE_JSON,
     status=201, errors=(403, 404, 409, 413, 422))
def send_message(session_id: str):
    principal = current_principal()
    conversation = get_visible(principal, session_id)
    body, uploads = message_input()
    message = chat_messages.send(principal, conversation, body, uploads)
    return jsonify(chat_messages.present(message)), 201


@bp.put("/chat/sessions/<session_id>/read")
@doc(summary="Mark the session's messages read by the agents", tags=TAGS, body=ReadSchema,
     status=204, errors=(404,))
def mark_read(session_id: str):
    conversation = get_visible(current_principal(), session_id)
    body = load_json(ReadSchema())
    chat_messages.mark_read(conversation, body["message_ids"])
    return "", 204


@bp.post("/chat/sessions/<session_id>/typing")
@doc(summary="Tell the session's watchers the caller is typing (or stopped)", tags=TAGS,
     body=TypingSchema, status=204, errors=(404,))
def typing(session_id: str):
    principal = current_principal()
    conversation = get_visible(principal, session_id)
    body = load_json(TypingSchema())
    chat_messages.typing(principal, conversation, body["is_typing"])
    return "", 204
