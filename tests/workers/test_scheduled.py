"""The scheduler: one enqueue per firing across schedulers, every job configured, real runs."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta

from hub import db as hubdb
from hub import jobs
from hub.models import JobRun, Notification, User, utcnow
from hub.settings import configure, get_settings
from workers import scheduler


def _count_enqueues(monkeypatch) -> list[str]:
    """Record every enqueue while still sending it through the real broker."""
    import workers.broker

    sent: list[str] = []

    def counting(actor_name, args, delay_ms):
        sent.append(actor_name)
        return workers.broker.dispatch(actor_name, args, delay_ms)

    monkeypatch.setattr(jobs, "_dispatcher", counting)
    return sent


def test_two_schedulers_firing_the_same_job_enqueue_it_once(monkeypatch):
    # Given two schedulers (threads) firing the same job at the same nominal time
    import workers.actors  # noqa: F401

    sent = _count_enqueues(monkeypatch)
    nominal = datetime(2024, 5, 1, 12, 0)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def run():
        barrier.wait()
        outcomes.append(scheduler.fire("presence_expiry", nominal))

    threads = [threading.Thread(target=run) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    # Expect one enqueue, and both firings recorded with their outcome
    assert sent == ["expire_presence"]
    assert sorted(outcomes) == ["enqueued", "skipped"]
    with hubdb.db.connection_context():
        assert sorted(r.outcome for r in JobRun.select()) == ["enqueued", "skipped"]
    # And the next nominal time fires again
    assert scheduler.fire("presence_expiry", nominal + timedelta(minutes=1)) == "enqueued"


def test_scheduler_builds_with_every_job_and_overrides():
    # Given a schedule override for channel sync
    original = get_settings()
    configure(original.with_overrides(schedules={"channel_sync": "*/30 * * * *"}))
    try:
        built = scheduler.build_scheduler()
    finally:
        configure(original)
    # Expect every registered job, the ops jobs among them, with the override applied
    jobs_by_id = {job.id: job for job in built.get_jobs()}
    assert set(jobs_by_id) == set(scheduler.SCHEDULE)
    assert {"analytics_today", "analytics_yesterday", "archiving", "channel_sync",
            "telegram_polling", "presence_expiry", "notification_cleanup"} <= set(jobs_by_id)
    assert "minute='*/30'" in str(jobs_by_id["channel_sync"].trigger)
    assert jobs_by_id["analytics_today"].trigger.interval == timedelta(minutes=5)


def test_fired_jobs_run_on_a_real_worker(worker, tenant):
    # Given an idle online agent, an old read notification and an unread one
    agent, _ = tenant.add_user(status="online", last_active=utcnow() - timedelta(minutes=10))
    with hubdb.db.connection_context():
        old = utcnow() - timedelta(days=40)
        Notification.create(company=tenant.company, user=agent, title="read", read=True,
                            created_at=old)
        Notification.create(company=tenant.company, user=agent, title="unread", created_at=old)
    # When the scheduler fires presence expiry and notification clean-up
    assert scheduler.fire("presence_expiry") == "enqueued"
    assert scheduler.fire("notification_cleanup") == "enqueued"
    worker.drain()
    # Expect the agent away, and only the unread notification left
    with hubdb.db.connection_context():
        assert User.get_by_id(agent.id).status == "away"
        assert [n.title for n in Notification.select()] == ["unread"]
