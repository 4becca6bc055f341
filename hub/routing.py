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
from hub.db import is_postgres, transaction
from hub.models import Channel, Company, Contact, Conversation, Notification, User, new_id, \
    utcnow
from hub.prepared import prepared
from hub.presenters import conversation_dict
from hub.realtime import publish_many_after_commit

RULES = ("round_robin", "least_open", "manual")


class _Candidate:
    """An eligible agent as routing needs it: the id, never the whole user row."""

    __slots__ = ("id",)

    def __init__(self, id: str) -> None:
        self.id = id


def _candidates_query(S) -> peewee.ModelSelect:
    """The company's online agents, each with its count of open conversations (one statement).

    The count reads the partial index `conversation_open_by_agent` (migration v0008), whatever
    PostgreSQL's statistics say. Only the columns the choice reads come back, as tuples: a
    company's agents as whole User rows were a fifth of a routing job's CPU.
    """
    counts = (Conversation.select(Conversation.assignee.alias("agent_id"),
                                  peewee.fn.COUNT(Conversation.id).alias("n"))
              .where((Conversation.company == S(0)) & (Conversation.status == "active")
                     & Conversation.assignee.is_null(False))
              .group_by(Conversation.assignee).alias("open_counts"))
    return (User.select(User.id, User.channel_ids, User.max_open_conversations,
                        peewee.fn.COALESCE(counts.c.n, 0).alias("open_count"))
            .join(counts, peewee.JOIN.LEFT_OUTER, on=(counts.c.agent_id == User.id))
            .where((User.company == S(0)) & (User.is_active == True)  # noqa: E712
                   & User.role.in_(("admin", "support")) & (User.status == "online"))
            .order_by(User.id).tuples())


def _candidates(conversation: Conversation) -> list[tuple[_Candidate, int]]:
    """Eligible agents with their open-conversation counts, in a stable order (agents serve
    one company, so the company's open conversations are theirs)."""
    rows = prepared("routing.candidates", _candidates_query).rows(conversation.company_id)
    return [(_Candidate(agent_id), open_count)
            for agent_id, channel_ids, capacity, open_count in rows
            if (channel_ids is None or conversation.channel_id in (channel_ids or []))
            and open_count < (capacity or 0)]


def _choose(rule: str, company: Company, candidates: list[tuple[_Candidate, int]]
            ) -> Optional[_Candidate]:
    if not candidates or rule == "manual":
        return None
    if rule == "least_open":
        return min(candidates, key=lambda pair: (pair[1], pair[0].id))[0]
    cursor = company.last_assigned_user_id or ""
    after = [a for a, _ in candidates if a.id > cursor]
    return after[0] if after else candidates[0][0]


def route_conversation(conversation_id: str) -> Optional[str]:
    """Assign an unassigned active conversation; returns the agent id (None: left unassigned).

    Statements when it assigns: the conversation (with its channel and contact, for the
    event), the company (locked), the candidates with their counts, the conditional
    UPDATE ... RETURNING, the company's cursor, the notification; both events go to Redis in
    one round trip.
    """
    with transaction():
        conversation = prepared("routing.conversation", lambda S: (
            Conversation.select(Conversation, Channel, Contact)
            .join(Channel, peewee.JOIN.LEFT_OUTER, on=(Conversation.channel == Channel.id))
            .switch(Conversation)
            .join(Contact, peewee.JOIN.LEFT_OUTER, on=(Conversation.contact == Contact.id))
            .where(Conversation.id == S(0)).limit(1))).first(conversation_id)
        if conversation is None or conversation.status != "active" or conversation.assignee_id:
            return conversation.assignee_id if conversation else None
        # Read with the conversation above (the joined rows, no query of their own).
        channel = conversation.channel if conversation.channel_id else None
        contact = conversation.contact if conversation.contact_id else None

        def company_query(S):
            query = Company.select().where(Company.id == S(0)).limit(1)
            return query.for_update() if is_postgres() else query

        company = prepared("routing.company", company_query).first(conversation.company_id)
        rule = (company_settings(company).get("routing") or {}).get("rule", "round_robin")
        agent = _choose(rule, company, _candidates(conversation))
        if agent is None:
            return None
        assigned = prepared("routing.assign", lambda S: (
            Conversation.update(assignee=S(0), updated_at=S(1))
            .where((Conversation.id == S(2)) & Conversation.assignee.is_null())
            .returning(Conversation))).first(agent.id, utcnow(), conversation.id)
        if assigned is None:  # an agent picked it up meanwhile
            return Conversation.get_by_id(conversation.id).assignee_id
        prepared("routing.cursor", lambda S: (
            Company.update(last_assigned_user_id=S(0)).where(Company.id == S(1)))
        ).run(agent.id, company.id)
        note = _notify(assigned, agent, contact)
        publish_many_after_commit(assigned.company_id, [
            ("conversation.updated", conversation_dict(assigned, channel=channel, contact=contact),
             assigned.id, None),
            ("notification.created", note, assigned.id, {"userIds": [agent.id]})])
    return agent.id


def _notify(conversation: Conversation, agent: _Candidate, contact: Optional[Contact]) -> dict:
    """Store the agent's notification; its event payload."""
    who = contact.name if contact is not None else "a visitor"
    note = {"id": new_id(), "title": "New conversation assigned",
            "message": f"{who}: {conversation.last_message_preview}"[:500], "type": "message",
            "link": f"/inbox/{conversation.id}"}
    # A prepared INSERT (peewee built this SQL anew for every routed conversation).
    prepared("routing.notification", lambda S: (
        Notification.insert(id=S(0), company=S(1), user=S(2), title=S(3), message=S(4),
                            type=S(5), read=False, link=S(6), created_at=S(7)))).run(
        note["id"], conversation.company_id, agent.id, note["title"], note["message"],
        note["type"], note["link"], utcnow())
    return {"id": note["id"], "userId": agent.id, "title": note["title"],
            "message": note["message"], "type": note["type"], "link": note["link"],
            "read": False, "conversationId": conversation.id}
