"""Chat sessions: `/api/chat/sessions` list, search, create, close, reopen, assign, bot, tags."""
from __future__ import annotations

from flask import jsonify

from hub import conversations, sessions
from hub.outbound import set_bot
from schemas.sessions import (SESSION_JSON, SESSION_PAGE_JSON, AssignSchema, BotSchema,
                              SessionCreateSchema, SessionListQuerySchema, TagsSchema)
from web.api.blueprint import bp
from web.auth import current_principal, roles
from web.loading import load_json, load_query
from web.openapi import doc

TAGS = ("chat sessions",)


@bp.get("/chat/sessions")
@doc(summary="Sessions the caller may see; search with `q`, filter by status, channel, "
     "assignee (id, `me`, `unassigned`) and tag", tags=TAGS, query=SessionListQuerySchema,
     response_schema=SESSION_PAGE_JSON, errors=(400,))
def list_sessions():
    args = load_query(SessionListQuerySchema())
    filters = sessions.SessionFilters(status=args.get("status"), q=args.get("q"),
                                      channel=args.get("channel"),
                                      assignee=args.get("assignee"), tag=args.get("tag"))
    return jsonify(sessions.page_of(current_principal(), filters, args["page"], args["limit"]))


@bp.get("/chat/sessions/<session_id>")
@doc(summary="One session", tags=TAGS, response_schema=SESSION_JSON, errors=(404,))
def get_session(session_id: str):
    row = conversations.get_visible(current_principal(), session_id)
    return jsonify(sessions.present(row))


@bp.post("/chat/sessions")
@doc(summary="Open a session (no channel) for the caller", tags=TAGS, body=SessionCreateSchema,
     response_schema=SESSION_JSON, status=201)
def create_session():
    body = load_json(SessionCreateSchema())
    row = sessions.create_session(current_principal(), **body)
    return jsonify(sessions.present(row)), 201


@bp.put("/chat/sessions/<session_id>/close")
@doc(summary="Close a session", tags=TAGS, response_schema=SESSION_JSON, errors=(404, 409))
def close_session(session_id: str):
    principal = current_principal()
    row = conversations.close(principal, conversations.get_visible(principal, session_id))
    return jsonify(sessions.present(row))


@bp.put("/chat/sessions/<session_id>/reopen")
@doc(summary="Reopen a closed session (agents)", tags=TAGS, response_schema=SESSION_JSON,
     errors=(403, 404, 409))
@roles("admin", "support")
def reopen_session(session_id: str):
    principal = current_principal()
    row = conversations.reopen(principal, conversations.get_visible(principal, session_id))
    return jsonify(sessions.present(row))


@bp.put("/chat/sessions/<session_id>/assign")
@doc(summary="Assign an agent (admin)", tags=TAGS, body=AssignSchema,
     response_schema=SESSION_JSON, errors=(403, 404, 409))
@roles("admin")
def assign_session(session_id: str):
    principal = current_principal()
    row = conversations.get_visible(principal, session_id)
    body = load_json(AssignSchema())
    return jsonify(sessions.present(conversations.assign(principal, row, body["agent_id"])))


@bp.put("/chat/sessions/<session_id>/bot")
@doc(summary="Turn the bot on or off for a session (agents)", tags=TAGS, body=BotSchema,
     response_schema=SESSION_JSON, errors=(403, 404))
@roles("admin", "support")
def set_session_bot(session_id: str):
    principal = current_principal()
    row = conversations.get_visible(principal, session_id)
    body = load_json(BotSchema())
    return jsonify(sessions.present(set_bot(principal, row, body["enabled"])))


@bp.put("/chat/sessions/<session_id>/tags")
@doc(summary="Replace a session's tags (agents)", tags=TAGS, body=TagsSchema,
     response_schema=SESSION_JSON, errors=(403, 404))
@roles("admin", "support")
def set_session_tags(session_id: str):
    row = conversations.get_visible(current_principal(), session_id)
    body = load_json(TagsSchema())
    return jsonify(sessions.present(sessions.set_tags(row, body["tags"])))
