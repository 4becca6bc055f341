"""Conversations: one open per channel and contact, visibility by role, close, reopen, assign."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import peewee

from hub.audit import record
from hub.auth import Principal
from hub.companies import company_settings
from hub.db import transaction
from hub.errors import Conflict, NotFound
from hub.models import Company, Conversation, User, new_id, utcnow
from hub.prepared import prepared
from hub.presenters import conversation_dict
from hub.realtime import publish_after_commit
from hub.scoping import scoped


def ensure_open_conversation(company_id: str, channel_id: str, contact_id: str,
                             started_at: Optional[datetime] = None, *,
                             new_contact: bool = False) -> tuple[Conversation, bool]:
    """The contact's open conversation on this channel, created if none; (row, created).

    A partial unique index allows one `active` row per channel and contact, so parallel
    webhooks insert-or-ignore and then all read the single winner. For a contact created in
    this transaction (`new_contact`) the first SELECT is skipped: the INSERT ... RETURNING
    hands back the row, one statement instead of three.
    """
    find = prepared("conversation.open", lambda S: (
        Conversation.select().where((Conversation.channel == S(0)) & (Conversation.contact == S(1))
                                    & (Conversation.status == "active")).limit(1)))
    if not new_contact:
        existing = find.first(channel_id, contact_id)
        if existing:
            return existing, False
    now = utcnow()
    insert = prepared("conversation.insert", lambda S: (
        Conversation.insert(id=S(0), company=S(1), channel=S(2), contact=S(3), status="active",
                            started_at=S(4), updated_at=S(5), tags=[])
        .on_conflict_ignore().returning(Conversation)))
    row = insert.first(new_id(), company_id, channel_id, contact_id, started_at or now, now)
    if row is not None:
        return row, True
    existing = find.first(channel_id, contact_id)
    if existing is None:  # cannot happen: the conflict was the open conversation
        raise RuntimeError("open conversation vanished during ensure_open_conversation")
    return existing, False


def visible(principal: Principal) -> peewee.ModelSelect:
    """Conversations the caller may see: admins all, agents all or theirs, users their own."""
    query = scoped(Conversation, principal.company_id)
    if principal.role == "user":
        return query.where(Conversation.created_by == principal.user_id)
    if principal.role == "support":
        company = Company.get_by_id(principal.company_id)
        if company_settings(company)["visibility"] == "assigned":
            return query.where(Conversation.assignee == principal.user_id)
    return query


def get_visible(principal: Principal, conversation_id: str) -> Conversation:
    """A conversation the caller may see, or 404 (also for another company's id)."""
    if not conversation_id or len(str(conversation_id)) > 64:
        raise NotFound("session not found")
    row = visible(principal).where(Conversation.id == conversation_id).first()
    if row is None:
        raise NotFound("session not found")
    return row


def publish_updated(conversation: Conversation) -> None:
    publish_after_commit(conversation.company_id, "conversation.updated",
                         conversation_dict(conversation), conversation_id=conversation.id)


def close(principal: Principal, conversation: Conversation) -> Conversation:
    with transaction():
        now = utcnow()
        updated = (Conversation.update(status="closed", ended_at=now, updated_at=now)
                   .where((Conversation.id == conversation.id)
                          & (Conversation.status == "active")).execute())
        if not updated:
            raise Conflict("the session is already closed", code="session_closed")
        record(principal, "conversation.closed", "conversation", conversation.id)
        row = Conversation.get_by_id(conversation.id)
        publish_updated(row)
    return row


def reopen(principal: Principal, conversation: Conversation) -> Conversation:
    """Reopen a closed conversation; 409 if it is open or another one is open for the contact."""
    with transaction():
        if conversation.status == "active":
            raise Conflict("the session is already open", code="session_open")
        try:
            with transaction():
                now = utcnow()
                (Conversation.update(status="active", ended_at=None, archived_at=None,
                                     reopened_count=Conversation.reopened_count + 1,
                                     reopened_at=now, updated_at=now)
                 .where(Conversation.id == conversation.id).execute())
        except peewee.IntegrityError:
            raise Conflict("the contact already has an open session on this channel",
                           code="open_session_exists") from None
        record(principal, "conversation.reopened", "conversation", conversation.id)
        row = Conversation.get_by_id(conversation.id)
        publish_updated(row)
    return row


def assign(principal: Principal, conversation: Conversation, agent_id: Optional[str]) -> Conversation:
    """Give the conversation to an agent of the same company (None unassigns)."""
    with transaction():
        if agent_id is not None:
            agent = scoped(User, principal.company_id).where(
                (User.id == agent_id) & (User.is_active == True)).first()  # noqa: E712
            if agent is None or agent.role not in ("admin", "support"):
                raise NotFound("agent not found", code="agent_not_found")
        if conversation.status != "active":
            raise Conflict("a closed session cannot be assigned", code="session_closed")
        if agent_id is not None and conversation.assignee_id == agent_id:
            raise Conflict("the session is already assigned to this agent",
                           code="already_assigned")
        (Conversation.update(assignee=agent_id, updated_at=utcnow())
         .where(Conversation.id == conversation.id).execute())
        record(principal, "conversation.assigned", "conversation", conversation.id,
               {"agentId": agent_id})
        row = Conversation.get_by_id(conversation.id)
        publish_updated(row)
    return row
