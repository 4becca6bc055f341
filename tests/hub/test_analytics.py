"""Analytics definitions on hand-built conversations; idempotent rollups; stats and metrics."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from hub import analytics, conversations
from hub import db as hubdb
from hub.auth import Principal
from hub.models import AnalyticsRollup, Company, Conversation, Message, utcnow
from tests.hub.builders import channel, contact, conversation, message

DAY = date(2024, 3, 5)  # a Tuesday


def at(h: int, m: int = 0, s: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, h, m, s)


def rollup(company_id: str, channel_key: str = "", agent_key: str = "", day: date = DAY):
    with hubdb.db.connection_context():
        return AnalyticsRollup.get(AnalyticsRollup.company == company_id, AnalyticsRollup.day == day,
                                   AnalyticsRollup.channel_key == channel_key,
                                   AnalyticsRollup.agent_key == agent_key)


def recompute(company_id, day=DAY):
    with hubdb.db.connection_context():
        return analytics.recompute_day(company_id, day)


def test_first_and_average_response_ignore_bots_and_notes(tenant):
    # Given a conversation where a bot answers first, a note is written, then an agent replies
    agent, _ = tenant.add_user()
    ch = channel(tenant.company)
    conv = conversation(tenant.company, ch, contact(tenant.company, ch), at(10), assignee=agent)
    message(conv, at(10), "customer")
    message(conv, at(10, 0, 30), "bot")
    message(conv, at(10, 1), "agent", agent, private=True)
    message(conv, at(10, 4), "agent", agent)              # answers 10:00 -> 4 min
    message(conv, at(10, 5), "agent", agent)              # follow-up: answers nothing
    message(conv, at(10, 10), "customer")
    message(conv, at(10, 12), "customer")
    message(conv, at(10, 20), "agent", agent)             # answers 10:10 -> 10 min
    # When the day is recomputed
    recompute(tenant.company.id)
    # Expect first response 4 min, two answered replies averaging 7 min, bot/notes not counted
    row = rollup(tenant.company.id)
    assert row.first_response_count == 1 and row.first_response_seconds == pytest.approx(240)
    assert row.response_count == 2 and row.response_seconds == pytest.approx(240 + 600)
    assert (row.messages_in, row.messages_out) == (3, 4)  # bot counts as outgoing, the note not
    assert row.conversations_opened == 1
    per_agent = rollup(tenant.company.id, agent_key=agent.id)
    assert per_agent.response_count == 2 and per_agent.messages_out == 3
    assert rollup(tenant.company.id, channel_key=ch.id).first_response_count == 1


def test_first_response_counts_from_bot_handoff(tenant):
    # Given a bot conversation handed to a human at 10:30, answered at 10:33
    agent, _ = tenant.add_user()
    ch = channel(tenant.company)
    conv = conversation(tenant.company, ch, contact(tenant.company, ch), at(10),
                        bot_handoff_at=at(10, 30))
    message(conv, at(10), "customer")
    message(conv, at(10, 1), "bot")
    message(conv, at(10, 31), "customer")
    message(conv, at(10, 33), "agent", agent)
    recompute(tenant.company.id)
    # Expect 3 minutes (from the hand-off), and the reply answers the 10:31 message: 2 minutes
    row = rollup(tenant.company.id)
    assert row.first_response_seconds == pytest.approx(180)
    assert row.response_seconds == pytest.approx(120)


def test_resolution_and_reopened(tenant):
    # Given three conversations opened that day, two closed, and one closed the day before
    ch = channel(tenant.company)
    for n, closed in enumerate([True, True, False]):
        conversation(tenant.company, ch, contact(tenant.company, ch), at(9 + n),
                     status="closed" if closed else "active",
                     ended_at=at(9 + n, 30) if closed else None)
    before = DAY - timedelta(days=1)
    old = conversation(tenant.company, ch, contact(tenant.company, ch), at(9, day=before),
                       status="closed", ended_at=at(10, day=before), reopened_count=1)
    # When the old one is reopened through the service (which stamps reopened_at)
    with hubdb.db.connection_context():
        reopened = conversations.reopen(Principal(tenant.admin.id, tenant.company.id, "admin"),
                                        old)
        assert reopened.reopened_count == 2 and reopened.reopened_at is not None
        Conversation.update(reopened_at=at(15)).where(Conversation.id == old.id).execute()
    recompute(tenant.company.id)
    recompute(tenant.company.id, before)
    row = rollup(tenant.company.id)
    # Expect 3 opened, 2 resolved in 30 minutes each, 1 reopened that day (none the day before)
    assert (row.conversations_opened, row.resolved_count, row.reopened_count) == (3, 2, 1)
    assert row.resolution_seconds == pytest.approx(3600)
    assert rollup(tenant.company.id, day=before).reopened_count == 0


def test_business_hours_only_count_opening_hours(tenant):
    # Given opening hours 09:00-18:00 Mon-Fri UTC, a message at 17:50 Tuesday answered 09:10 Wed
    with hubdb.db.connection_context():
        Company.update(settings={"businessHours": {"timezone": "UTC", "days": [0, 1, 2, 3, 4],
                                                   "start": "09:00", "end": "18:00"}}).where(
            Company.id == tenant.company.id).execute()
    agent, _ = tenant.add_user()
    ch = channel(tenant.company)
    conv = conversation(tenant.company, ch, contact(tenant.company, ch), at(17, 50))
    message(conv, at(17, 50), "customer")
    message(conv, at(9, 10, day=DAY + timedelta(days=1)), "agent", agent)
    recompute(tenant.company.id, DAY + timedelta(days=1))
    # Expect 20 business minutes, not 15 h 20 min
    row = rollup(tenant.company.id, day=DAY + timedelta(days=1))
    assert row.first_response_seconds == pytest.approx(1200)
    assert row.response_seconds == pytest.approx(1200)


def test_recompute_is_idempotent(tenant, other_tenant):
    # Given activity in two companies
    agent, _ = tenant.add_user()
    for t in (tenant, other_tenant):
        ch = channel(t.company)
        conv = conversation(t.company, ch, contact(t.company, ch), at(8))
        message(conv, at(8), "customer")
        message(conv, at(8, 2), "agent", agent if t is tenant else None)

    def snapshot():
        with hubdb.db.connection_context():
            return sorted((r.company_id, r.channel_key, r.agent_key, r.messages_in,
                           r.response_seconds) for r in AnalyticsRollup.select())

    # When every company's day is recomputed twice, then one company alone
    recompute(None)
    first = snapshot()
    recompute(None)
    recompute(tenant.company.id)
    # Expect the same rows each time
    assert snapshot() == first and len(first) >= 4


def test_stats_and_metrics_shape(tenant):
    # Given a conversation yesterday (rolled up) and one today (live)
    agent, _ = tenant.add_user()
    ch = channel(tenant.company)
    now = utcnow().replace(microsecond=0)
    yesterday = now - timedelta(days=1)
    old = conversation(tenant.company, ch, contact(tenant.company, ch), yesterday)
    message(old, yesterday, "customer")
    message(old, yesterday + timedelta(minutes=6), "agent", agent)
    recompute(tenant.company.id, yesterday.date())
    live = conversation(tenant.company, ch, contact(tenant.company, ch), now - timedelta(seconds=5))
    message(live, now - timedelta(seconds=5), "customer")
    with hubdb.db.connection_context():
        stats = analytics.stats(tenant.company.id)
        metrics = analytics.metrics(tenant.company.id)
        board = analytics.dashboard(tenant.company.id, days=7)
    # Expect both conversations, one active, a 6-minute average and three messages
    assert stats == {"totalSessions": 2, "activeSessions": 2, "averageResponseTime": 6.0,
                     "messagesExchanged": 3}
    by_id = {m["id"]: m for m in metrics}
    assert set(by_id["conversations"]) == {"id", "name", "value", "status", "trend"}
    assert by_id["conversations"]["value"] == 2 and by_id["conversations"]["trend"] == "up"
    assert by_id["first_response_time"]["status"] == "warning"  # 6 min: over 5, under 15
    assert all(m["status"] in {"success", "warning", "error", "info"} for m in metrics)
    assert len(board["volume"]) == 7 and board["agents"][0]["agentId"] == agent.id
    assert board["volume"][-1]["byChannel"] == {ch.name: 1}


def test_range_recompute_equals_day_by_day(tenant):
    # Given a thread spanning midnight, with a reply on each side, in a business-hours company
    with hubdb.db.connection_context():
        Company.update(settings={"businessHours": {"timezone": "UTC", "days": [0, 1, 2, 3, 4],
                                                   "start": "09:00", "end": "18:00"}}).where(
            Company.id == tenant.company.id).execute()
    agent, _ = tenant.add_user()
    ch = channel(tenant.company)
    nxt = DAY + timedelta(days=1)
    conv = conversation(tenant.company, ch, contact(tenant.company, ch), at(17, 30),
                        assignee=agent, status="closed", ended_at=at(9, 30, day=nxt))
    message(conv, at(17, 30), "customer")
    message(conv, at(17, 40), "agent", agent)
    message(conv, at(17, 50), "customer")
    message(conv, at(9, 15, day=nxt), "agent", agent)
    other = other_company()
    plain = conversation(other, channel(other), contact(other), at(12))
    message(plain, at(12), "customer")
    message(plain, at(12, 3), "agent")

    def snapshot():
        with hubdb.db.connection_context():
            return sorted((r.company_id, str(r.day), r.channel_key, r.agent_key,
                           *[round(getattr(r, f), 3) for f in analytics.FIELDS])
                          for r in AnalyticsRollup.select())

    # When the two days are recomputed one by one, then as one range
    recompute(None, DAY)
    recompute(None, nxt)
    by_day = snapshot()
    with hubdb.db.connection_context():
        analytics.recompute_range(None, DAY, nxt)
    # Expect the same rows; the overnight reply waited 10 + 15 business minutes
    assert snapshot() == by_day
    assert rollup(tenant.company.id, day=nxt).response_seconds == pytest.approx(1500)


def other_company():
    with hubdb.db.connection_context():
        return Company.create(name="Other Co", settings={})


def test_recompute_rewrites_changed_rows_and_drops_vanished_ones(tenant):
    # Given a day rolled up with two agents answering, the second agent's reply then removed and
    # a customer message added (a recompute keeps the rows whose figures did not change)
    first_agent, _ = tenant.add_user()
    second_agent, _ = tenant.add_user()
    ch = channel(tenant.company)
    conv = conversation(tenant.company, ch, contact(tenant.company, ch), at(9))
    message(conv, at(9), "customer")
    message(conv, at(9, 5), "agent", first_agent)
    message(conv, at(9, 10), "customer")
    gone = message(conv, at(9, 12), "agent", second_agent)
    recompute(tenant.company.id)
    with hubdb.db.connection_context():
        Message.delete().where(Message.id == gone.id).execute()
    message(conv, at(11), "customer")

    def snapshot():
        with hubdb.db.connection_context():
            return sorted((r.channel_key, r.agent_key, *[round(getattr(r, f), 3)
                                                         for f in analytics.FIELDS])
                          for r in AnalyticsRollup.select())

    # When the day is recomputed over its rows, and then from nothing
    recompute(tenant.company.id)
    updated = snapshot()
    with hubdb.db.connection_context():
        AnalyticsRollup.delete().execute()
    recompute(tenant.company.id)
    # Expect the same rows: the second agent's rows are gone, the totals count three messages in
    assert updated == snapshot()
    assert not any(second_agent.id == row[1] for row in updated)
    assert rollup(tenant.company.id).messages_in == 3
    assert rollup(tenant.company.id).response_count == 1
