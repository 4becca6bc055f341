"""Requests over `/ws` (seed 004's client events), each answered with its `id` echoed.

    -> {"id": "7", "type": "send_message", "data": {"conversationId": "..", "content": "hi"}}
    <- {"id": "7", "ok": true, "data": {...}}  or  {"id": "7", "ok": false,
                                                    "error": {"code": "..", "message": ".."}}

Each handler calls the same hub service as the REST endpoint does.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Optional

import peewee

from hub.auth import Principal
from hub.conversations import get_visible, visible
from hub.errors import HubError, ValidationError
from hub.messages import attachments_by_message, thread
from hub.models import Conversation, User
from hub.outbound import send_agent_message
from hub.presenters import conversation_dict, message_dict
from hub.client_records import add_note
from hub.clients import convert, identities_of, search
from hub.crm_presenters import contact_dict, note_dict
from hub.receipts import mark_as_read
from hub.typing_indicator import relay_typing
from hub.users import update_settings
from schemas.contacts import ConvertSchema, NoteCreateSchema
from schemas.users import UserSettingsSchema
from web.loading import load_input

log = logging.getLogger("web.sockets")
Handler = Callable[[Principal, dict[str, Any]], Any]
HANDLERS: dict[str, Handler] = {}
MAX_PAGE = 100


def handler(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn
    return register


def _str(data: dict[str, Any], name: str, *, required: bool = True, max_len: int = 64) -> Optional[str]:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > max_len:
        raise ValidationError(f"{name} is required", details={name: ["a non-empty string"]})
    return value


def _page(data: dict[str, Any], default_limit: int = 50) -> tuple[int, int]:
    page, limit = data.get("page", 1), data.get("limit", default_limit)
    if not isinstance(page, int) or not isinstance(limit, int) or page < 1 \
            or not 1 <= limit <= MAX_PAGE:
        raise ValidationError("invalid paging", details={"page": [">= 1"], "limit": ["1..100"]})
    return page, limit


def _paged(query: peewee.ModelSelect, page: int, limit: int, render) -> dict[str, Any]:
    total = query.count()
    rows = list(query.paginate(page, limit))
    return {"items": [render(r) for r in rows], "totalCount": total, "page": page,
            "totalPages": (total + limit - 1) // limit}


@handler("load_conversations")
def load_conversations(principal: Principal, data: dict[str, Any]) -> Any:
    page, limit = _page(data)
    query = visible(principal)
    status = data.get("status")
    if status is not None:
        if status not in ("active", "closed", "archived"):
            raise ValidationError("invalid status", details={"status": ["active, closed, archived"]})
        query = query.where(Conversation.status == status)
    query = query.order_by(Conversation.last_message_at.desc(nulls="LAST"), Conversation.id)
    return _paged(query, page, limit, conversation_dict)


def _contacts(principal: Principal, data: dict[str, Any], clients: bool) -> Any:
    page, limit = _page(data)
    q = _str(data, "q", required=False)
    items, total = search(principal, type="client" if clients else "prospect", q=q, page=page,
                          limit=limit)
    return {"items": items, "totalCount": total, "page": page}


@handler("load_prospects")
def load_prospects(principal: Principal, data: dict[str, Any]) -> Any:
    return _contacts(principal, data, clients=False)


@handler("load_clients")
def load_clients(principal: Principal, data: dict[str, Any]) -> Any:
    return _contacts(principal, data, clients=True)


@handler("load_messages")
def load_messages(principal: Principal, data: dict[str, Any]) -> Any:
    conversation = get_visible(principal, _str(data, "conversationId"))
    _, limit = _page({"limit": data.get("limit", 50)})
    rows, has_more = thread(conversation.id, before=_str(data, "before", required=False),
                            limit=limit)
    if principal.role == "user":
        rows = [m for m in rows if not m.is_private]
    attachments = attachments_by_message(rows)
    platform = conversation.channel.kind if conversation.channel_id else None
    return {"messages": [message_dict(m, attachments[m.id], platform) for m in rows],
            "hasMore": has_more}


@handler("send_message")
def send_message(principal: Principal, data: dict[str, Any]) -> Any:
    principal.require_role("admin", "support")
    conversation = get_visible(principal, _str(data, "conversationId"))
    content = data.get("content", "")
    attachment_ids = data.get("attachmentIds") or []
    if not isinstance(content, str) or len(content) > 10_000 or not isinstance(attachment_ids, list):
        raise ValidationError("invalid message", details={"content": ["a string up to 10000"]})
    message = send_agent_message(
        principal, conversation, content=content, attachment_ids=attachment_ids,
        is_private=bool(data.get("isPrivate", False)),
        reply_to_id=_str(data, "replyTo", required=False),
        client_message_id=_str(data, "clientMessageId", required=False))
    return message_dict(message)


@handler("mark_as_read")
def read(principal: Principal, data: dict[str, Any]) -> Any:
    principal.require_role("admin", "support")
    conversation = get_visible(principal, _str(data, "conversationId"))
    ids = data.get("messageIds")
    if ids is not None and (not isinstance(ids, list) or len(ids) > 1000
                            or not all(isinstance(i, str) for i in ids)):
        raise ValidationError("invalid messageIds", details={"messageIds": ["a list of ids"]})
    return mark_as_read(principal, conversation, ids)


@handler("convert_prospect")
def convert_prospect(principal: Principal, data: dict[str, Any]) -> Any:
    fields = data.get("fields", data.get("clientData", {}))
    if not isinstance(fields, dict):
        raise ValidationError("invalid fields", details={"fields": ["an object"]})
    contact = convert(principal, _str(data, "prospectId"), **load_input(ConvertSchema(), fields))
    return contact_dict(contact, identities_of([contact.id])[contact.id])


@handler("add_client_note")
def add_client_note(principal: Principal, data: dict[str, Any]) -> Any:
    body = load_input(NoteCreateSchema(), {"content": data.get("content")})
    note = add_note(principal, _str(data, "clientId"), body["content"])
    return note_dict(note)


@handler("update_chat_settings")
def update_chat_settings(principal: Principal, data: dict[str, Any]) -> Any:
    """Merge the given user settings (theme, notifications, privacy) into the caller's own."""
    values = load_input(UserSettingsSchema(), data.get("settings", data))
    return UserSettingsSchema().dump(update_settings(principal, values))


@handler("typing")
def typing(principal: Principal, data: dict[str, Any]) -> Any:
    conversation = get_visible(principal, _str(data, "conversationId"))
    is_typing = data.get("isTyping", True)
    if not isinstance(is_typing, bool):
        raise ValidationError("isTyping must be a boolean", details={"isTyping": ["boolean"]})
    user = User.get_by_id(principal.user_id)
    relayed = relay_typing(principal.company_id, conversation.id, principal.user_id, is_typing,
                           name=user.name, sender_type="customer" if principal.role == "user"
                           else "agent")
    return {"relayed": relayed}


def handle(principal: Principal, request: Any) -> dict[str, Any]:
    """Run one request; the reply carries its id, `ok`, and `data` or `error`."""
    request_id = request.get("id") if isinstance(request, dict) else None
    try:
        if not isinstance(request, dict) or not isinstance(request.get("type"), str):
            raise ValidationError("a request is an object with a type", code="bad_request")
        fn = HANDLERS.get(request["type"])
        if fn is None:
            raise ValidationError(f"unknown request type {request['type'][:50]}",
                                  code="unknown_request")
        data = request.get("data", {})
        if not isinstance(data, dict):
            raise ValidationError("data must be an object", code="bad_request")
        return {"id": request_id, "ok": True, "data": fn(principal, data)}
    except HubError as exc:
        return {"id": request_id, "ok": False, "error": exc.to_dict()["error"]}
    except Exception:  # a bug or an outage: the client gets an error, the socket lives on
        log.exception("socket request failed type=%s", request.get("type"))
        return {"id": request_id, "ok": False,
                "error": {"code": "internal_error", "message": "the request failed"}}
