"""ChatThreads of the widget schema: `/api/chats`, `/api/chats/<id>`, `/api/messages/<id>/read`."""
from __future__ import annotations

from flask import jsonify

from hub import chat_messages, sessions, threads
from hub.conversations import get_visible
from schemas.messages import MULTIPART_MESSAGE, THREAD_JSON, THREAD_MESSAGE_JSON, \
    THREAD_PAGE_JSON, MessageCreateSchema
from schemas.sessions import SessionCreateSchema, ThreadListQuerySchema
from web.api.blueprint import bp
from web.api.chat_messages import message_input
from web.auth import current_principal
from web.loading import load_json, load_query
from web.openapi import doc

TAGS = ("chat threads",)
# Messages each thread of a list carries: the latest one, as a preview.
LIST_MESSAGES = 1


@bp.get("/chats")
@doc(summary="Chat threads the caller may see, most recent first", tags=TAGS,
     query=ThreadListQuerySchema, response_schema=THREAD_PAGE_JSON, errors=(400,))
def list_threads():
    args = load_query(ThreadListQuerySchema())
    rows, total = sessions.page_rows(current_principal(), sessions.SessionFilters(
        status=args.get("status")), args["page"], args["limit"])
    return jsonify({"items": [threads.thread_dict(c, limit=LIST_MESSAGES) for c in rows],
                    "totalCount": total, "page": args["page"],
                    "totalPages": sessions.total_pages(total, args["limit"])})


@bp.get("/chats/<chat_id>")
@doc(summary="A chat thread with its participants and newest messages", tags=TAGS,
     response_schema=THREAD_JSON, errors=(404,))
def get_thread(chat_id: str):
    return jsonify(threads.thread_dict(get_visible(current_principal(), chat_id)))


@bp.post("/chats")
@doc(summary="Create a chat thread (a session of the caller)", tags=TAGS,
     body=SessionCreateSchema, response_schema=THREAD_JSON, status=201)
def create_thread():
    body = load_json(SessionCreateSchema())
    row = sessions.create_session(current_principal(), **body)
    return jsonify(threads.thread_dict(row)), 201


@bp.post("/chats/<chat_id>/messages")
@doc(summary="Send a message in a thread (JSON, or multipart with `attachments[n]`)", tags=TAGS,
     body=MessageCreateSchema, multipart=MULTIPART_MESSAGE, response_schema=THREAD_MESSAGE_JSON,
     status=201, errors=(403, 404, 409, 413, 422))
def send_thread_message(chat_id: str):
    principal = current_principal()
    conversation = get_visible(principal, chat_id)
    body, uploads = message_input()
    message = chat_messages.send(principal, conversation, body, uploads)
    return jsonify(threads.one_message(message)), 201


@bp.put("/messages/<message_id>/read")
@doc(summary="Mark one message read by the agents", tags=TAGS, status=204, errors=(404,))
def mark_message_read(message_id: str):
    chat_messages.mark_one_read(current_principal(), message_id)
    return "", 204
