"""Synthetic but realistic data for the analytics benchmark, loaded with COPY."""
from __future__ import annotations

import csv
import io
import random
from datetime import date, datetime, timedelta
from typing import Any

from hub.db import db
from hub.models import Channel, Company, User, new_id, utcnow

MESSAGE_COLUMNS = ("id", "company_id", "conversation_id", "channel_id", "provider_message_id",
                   "direction", "sender_type", "sender_user_id", "message_type", "content",
                   "payload", "is_private", "status", "timestamp", "created_at")
CONVERSATION_COLUMNS = ("id", "company_id", "channel_id", "assignee_id", "status", "priority",
                        "tags", "bot_enabled", "bot_handoff_at", "unread_count",
                        "last_message_at", "last_message_preview", "reopened_count", "reopened_at",
                        "started_at", "ended_at", "updated_at")
# Rows per COPY round trip.
COPY_BATCH = 100_000


def _copy(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    cursor = db.connection().cursor()
    for i in range(0, len(rows), COPY_BATCH):
        buf = io.StringIO()
        csv.writer(buf).writerows(["\\N" if v is None else v for v in r] for r in rows[i:i + COPY_BATCH])
        buf.seek(0)
        cursor.copy_expert(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN WITH (FORMAT csv, NULL \'\\N\')', buf)
    db.connection().commit()


def _conversation(rng: random.Random, start: datetime) -> tuple[list[tuple], dict[str, Any]]:
    """One thread: customer turns, agent replies after 0.5-30 min, sometimes a bot first."""
    msgs: list[tuple[str, datetime, bool]] = []  # sender_type, time, private
    at = start
    handoff = None
    if rng.random() < 0.2:
        msgs += [("customer", at, False), ("bot", at + timedelta(seconds=5), False)]
        at += timedelta(minutes=rng.uniform(1, 5))
        handoff = at
    for _ in range(rng.randint(2, 6)):
        for _ in range(rng.choice((1, 1, 2))):
            msgs.append(("customer", at, False))
            at += timedelta(seconds=rng.uniform(5, 90))
        at += timedelta(minutes=rng.uniform(0.5, 30))
        if rng.random() < 0.05:
            msgs.append(("agent", at, True))  # an internal note
        msgs.append(("agent", at, False))
        at += timedelta(minutes=rng.uniform(1, 60))
    closed = rng.random() < 0.7
    # One in ten closed threads was closed early and reopened half way through.
    reopened = start + (at - start) / 2 if closed and rng.random() < 0.1 else None
    return msgs, {"handoff": handoff, "closed": closed, "ended": at if closed else None,
                  "reopened": 1 if reopened else 0, "reopened_at": reopened, "last": msgs[-1][1]}


def load(params: dict[str, Any]) -> tuple[date, date, dict[str, int]]:
    """Companies, agents, channels, conversations and messages over the last `days` days."""
    rng = random.Random(42)
    today = utcnow().date()
    first, last = today - timedelta(days=params["days"]), today - timedelta(days=1)
    tenants = []
    with db.atomic():
        for c in range(params["companies"]):
            company = Company.create(name=f"Bench {c}", settings={})
            agents = [new_id() for _ in range(params["agentsPerCompany"])]
            User.insert_many([{"id": a, "company": company, "email": f"a{c}-{n}@bench.test",
                               "name": f"Agent {c}-{n}", "password_hash": "x", "settings": {}}
                              for n, a in enumerate(agents)]).execute()
            channels = [Channel.create(company=company, kind=k, name=k).id
                        for k in ("whatsapp", "widget")[:params["channelsPerCompany"]]]
            tenants.append((company.id, agents, channels))
    conversations, messages = [], []
    span = (params["days"] - 1) * 86400
    base = datetime.combine(first, datetime.min.time())
    while len(messages) < params["messages"]:
        company, agents, channels = rng.choice(tenants)
        conv_id, channel, agent = new_id(), rng.choice(channels), rng.choice(agents)
        start = base + timedelta(seconds=rng.uniform(0, span))
        thread, meta = _conversation(rng, start)
        status = "closed" if meta["closed"] else "active"
        conversations.append((conv_id, company, channel, agent, status, "medium", "[]",
                              meta["handoff"] is not None, meta["handoff"], 0, meta["last"], "",
                              meta["reopened"], meta["reopened_at"], start, meta["ended"], meta["last"]))
        for sender, at, private in thread:
            direction = "in" if sender == "customer" else "out"
            messages.append((new_id(), company, conv_id, channel, new_id(), direction, sender,
                             agent if sender == "agent" else None, "text", "hello there", "{}",
                             private, "received" if direction == "in" else "sent", at, at))
    # Threads that run past yesterday stay in: today's part belongs to today's live figures.
    _copy("conversation", CONVERSATION_COLUMNS, conversations)
    _copy("message", MESSAGE_COLUMNS, messages)
    return first, last, {"companies": len(tenants), "conversations": len(conversations),
                         "messages": len(messages)}
