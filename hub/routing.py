"""Assigning new conversations to agents by the company's rule.

`round_robin` walks the agents in a fixed order from the company's cursor; `least_open` picks
the agent with the fewest active conversations; `manual` leaves the conversation for pick-up.
Only active agents (admin or support) who are online, have capacity left and may serve the
channel are candidates. The company row is locked while choosing, so two routing jobs of one
company take turns and neither the cursor nor an agent's capacity is overrun.
"""
from __future__ import annotations

from typing import Optional

import peewee

from hub.companies import company_settings
from hub.conversations import publish_updated
from hub.db import is_postgres, transaction
from hub.models import Company, Conversation, Notification, User, utcnow
from hub.realtime import publish_after_commit

RULES = ("round_robin", "least_open", "manual")


def _candidates(conversation: Conversation) -> list[tuple[User, int]]:
    """Eligible agents with their open-conversation counts, in a stable order."""
    agents = list(User.select().where(
        (User.company == conversation.company_id) & (User.is_active == True)  # noqa: E712
        & User.role.in_(("admin", "support")) & (User.status == "online")).order_by(User.id))
    agents = [a for a in agents
              if a.channel_ids is None or conversation.channel_id in (a.channel_ids or [])]
    if not agents:
        return []
    counts = dict(Conversation.select(Conversation.assignee, peewee.fn.COUNT(Conversation.id))
                  .where((Conversation.assignee.in_([a.id for a in agents]))
                         & (Conversation.status == "active"))
                  .group_by(Conversation.assignee).tuples())
    return [(a, counts.get(a.id, 0)) for a in agents
            if counts.get(a.id, 0) < (a.max_open_conversations or 0)]


def _choose(rule: str, company: Company, candidates: list[tuple[User, int]]) -> Optional[User]:
    if not candidates or rule == "manual":
        return None
    if rule == "least_open":
        return min(candidates, key=lambda pair: (pair[1], pair[0].id))[0]
    cursor = company.last_assigned_user_id or ""
    after = [a for a, _ in candidates if a.id > cursor]
    return after[0] if after else candidates[0][0]


def route_conversation(conversation_id: str) -> Optional[str]:
    """Assign an unassigned active conversation; returns the agent id (None: left unassigned)."""
    with transaction():
        conversation = Conversation.get_or_none(Conversation.id == conversation_id)
        if conversation is None or conversation.status != "active" or conversation.assignee_id:
            return conversation.assignee_id if conversation else None
        query = Company.select().where(Company.id == conversation.company_id)
        company = (query.for_update() if is_postgres() else query).get()
        rule = (company_settings(company).get("routing") or {}).get("rule", "round_robin")
        agent = _choose(rule, company, _candidates(conversation))
        if agent is None:
            return None
        assigned = (Conversation.update(assignee=agent.id, updated_at=utcnow())
                    .where((Conversation.id == conversation.id)
                           & Conversation.assignee.is_null()).execute())
        if not assigned:  # an agent picked it up meanwhile
            return Conversation.get_by_id(conversation.id).assignee_id
        Company.update(last_assigned_user_id=agent.id).where(Company.id == company.id).execute()
        conversation = Conversation.get_by_id(conversation.id)
        publish_updated(conversation)
        _notify(conversation, agent)
    return agent.id


def _notify(conversation: Conversation, agent: User) -> None:
    who = conversation.contact.name if conversation.contact_id else "a visitor"
    note = Notification.create(company=conversation.company_id, user=agent.id,
                               title="New conversation assigned",
                               message=f"{who}: {conversation.last_message_preview}"[:500],
                               type="message", link=f"/inbox/{conversation.id}")
    publish_after_commit(conversation.company_id, "notification.created",
                         {"id": note.id, "userId": agent.id, "title": note.title,
                          "message": note.message, "type": note.type, "link": note.link,
                          "read": False, "conversationId": conversation.id},
                         audience={"userIds": [agent.id]})
