"""Chat sessions of the REST API: listing with filters and search, creation, tags."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Optional

import peewee
from peewee import JOIN, fn

from hub import search
from hub.auth import Principal
from hub.conversations import publish_updated, visible
from hub.db import transaction
from hub.models import Channel, Contact, Conversation, new_id, utcnow
from hub.presenters import conversation_dict
from hub.realtime import publish_after_commit
from hub.scoping import scoped


@dataclass
class SessionFilters:
    """What `GET /api/chat/sessions` narrows by; None means no filter."""

    status: Optional[str] = None
    q: Optional[str] = None
    channel: Optional[str] = None  # a channel id or a kind (whatsapp, telegram ...)
    assignee: Optional[str] = None  # a user id, "me" or "unassigned"
    tag: Optional[str] = None


def filtered(principal: Principal, filters: SessionFilters) -> peewee.ModelSelect:
    """The visible conversations matching `filters` (not yet ordered or paged)."""
    query = visible(principal)
    if filters.status:
        query = query.where(Conversation.status == filters.status)
    if filters.channel:
        channels = scoped(Channel, principal.company_id).select(Channel.id).where(
            (Channel.id == filters.channel) | (Channel.kind == filters.channel))
        query = query.where(Conversation.channel.in_(channels))
    if filters.assignee == "unassigned":
        query = query.where(Conversation.assignee.is_null())
    elif filters.assignee:
        agent = principal.user_id if filters.assignee == "me" else filters.assignee
        query = query.where(Conversation.assignee == agent)
    if filters.tag:
        query = query.where(has_tag(filters.tag))
    if filters.q:
        query = search.matching(query, principal.company_id, filters.q)
    return query


def has_tag(tag: str) -> peewee.Expression:
    """Tags are a JSON array stored as text: the tag, JSON-quoted, is one element (any case)."""
    element = json.dumps(tag)  # the same encoding JSONField stores
    pattern = "%" + element.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return peewee.Expression(Conversation.tags, peewee.OP.ILIKE, peewee.NodeList((
        peewee.Value(pattern, converter=False), peewee.SQL("ESCAPE"),
        peewee.Value("\\", converter=False))))


def with_relations(query: peewee.ModelSelect) -> peewee.ModelSelect:
    """Load each conversation's channel and contact in the same query (no N+1)."""
    return (query.select_extend(Channel, Contact)
            .join(Channel, JOIN.LEFT_OUTER, on=(Conversation.channel == Channel.id))
            .switch(Conversation)
            .join(Contact, JOIN.LEFT_OUTER, on=(Conversation.contact == Contact.id)))


def page_rows(principal: Principal, filters: SessionFilters, page: int,
              limit: int) -> tuple[list[Conversation], int]:
    """One page of conversations, most recent activity first, and the total."""
    query = filtered(principal, filters)
    total = query.count()
    activity = fn.COALESCE(Conversation.last_message_at, Conversation.started_at)
    rows = (with_relations(query).order_by(activity.desc(), Conversation.id.desc())
            .paginate(page, limit))
    return list(rows), total


def total_pages(total: int, limit: int) -> int:
    return math.ceil(total / limit) if total else 0


def page_of(principal: Principal, filters: SessionFilters, page: int,
            limit: int) -> dict[str, Any]:
    """One page of sessions with the total and page count (the Chat API's list answer)."""
    rows, total = page_rows(principal, filters, page, limit)
    return {"sessions": [present(c) for c in rows], "totalCount": total, "page": page,
            "totalPages": total_pages(total, limit)}


def present(c: Conversation) -> dict[str, Any]:
    """`conversation_dict` with the channel and contact a joined query already loaded."""
    channel = c.channel if c.channel_id else None
    contact = c.contact if c.contact_id else None
    return conversation_dict(c, channel, contact)


def clean_tags(tags: list[str]) -> list[str]:
    """Tags stripped, without duplicates, in the order given."""
    seen: list[str] = []
    for tag in tags:
        tag = tag.strip()
        if tag and tag not in seen:
            seen.append(tag)
    return seen


def create_session(principal: Principal, subject: Optional[str] = None,
                   priority: str = "medium", tags: Optional[list[str]] = None) -> Conversation:
    """A session opened from the API: a conversation of the caller, on no channel."""
    now = utcnow()
    with transaction():
        row = Conversation.create(id=new_id(), company=principal.company_id,
                                  created_by=principal.user_id, status="active",
                                  subject=subject, priority=priority,
                                  tags=clean_tags(tags or []), started_at=now, updated_at=now)
        publish_after_commit(principal.company_id, "conversation.created",
                             conversation_dict(row), conversation_id=row.id)
    return row


def set_tags(conversation: Conversation, tags: list[str]) -> Conversation:
    """Replace a session's tags."""
    with transaction():
        (Conversation.update(tags=clean_tags(tags), updated_at=utcnow())
         .where(Conversation.id == conversation.id).execute())
        row = Conversation.get_by_id(conversation.id)
        publish_updated(row)
    return row
