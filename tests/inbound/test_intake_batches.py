"""Group commit of webhooks: concurrent deliveries share one INSERT and one Redis pipeline.

Each test holds the first batch until the other deliveries have queued behind it, so what
would be a race under load happens every time.
"""
from __future__ import annotations

import json
import threading
import time

import peewee
import pytest

from hub import db as hubdb
from hub import webhook_intake
from hub.models import Message, WebhookEvent
from hub.redis_client import get_redis
from hub.webhook_channels import LiveChannel
from tests.inbound.builders import wa_message
from tests.inbound.conftest import create_channel, post_webhook


@pytest.fixture
def held_batches(monkeypatch):
    """Batches of the intake, the first one held until `hold.queued` deliveries wait."""
    batches: list[int] = []

    class Hold:
        queued = 0

    insert_many = webhook_intake._insert_many

    def held(rows):
        batches.append(len(rows))
        if len(batches) == 1:
            deadline = time.monotonic() + 10
            while len(webhook_intake._batcher._queue) < Hold.queued:
                assert time.monotonic() < deadline, "deliveries did not queue"
                time.sleep(0.002)
        return insert_many(rows)

    monkeypatch.setattr(webhook_intake, "_insert_many", held)
    Hold.batches = batches
    return Hold


def _post_concurrently(app, channel_id: str, bodies: list[bytes]) -> list:
    answers: list = [None] * len(bodies)

    def post(i):
        answers[i] = post_webhook(app.test_client(), "whatsapp", channel_id, bodies[i])

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(bodies))]
    threads[0].start()
    time.sleep(0.05)  # the first delivery takes the turn; the rest queue behind it
    [t.start() for t in threads[1:]]
    [t.join(20) for t in threads]
    return answers


def test_concurrent_webhooks_commit_in_one_batch_and_every_one_is_processed(
        app, tenant, emulator, held_batches, inbound_worker):
    channel = create_channel(app.test_client(), tenant, "whatsapp", emulator)
    bodies = [json.dumps(wa_message(phone=f"1555000{i:04d}", text=f"m{i}")).encode()
              for i in range(13)]
    held_batches.queued = 12
    jobs_before = get_redis().hgetall(f"{_namespace()}:metrics:jobs")
    answers = _post_concurrently(app, channel["id"], bodies)
    # Every delivery was answered 200 only once committed, by two INSERTs (1 + 12)
    assert [a.status_code for a in answers] == [200] * 13
    assert held_batches.batches == [1, 12]
    ids = [a.get_json()["eventId"] for a in answers]
    assert len(set(ids)) == 13 and not any(a.get_json()["duplicate"] for a in answers)
    with hubdb.db.connection_context():
        assert WebhookEvent.select().where(WebhookEvent.id.in_(ids)).count() == 13
    # A real worker processes them, the batch as process_webhooks jobs of at most four
    inbound_worker.drain()
    with hubdb.db.connection_context():
        assert {e.status for e in WebhookEvent.select()} == {"processed"}
        assert sorted(m.content for m in Message.select()) == sorted(f"m{i}" for i in range(13))
    jobs = get_redis().hgetall(f"{_namespace()}:metrics:jobs")
    batch_jobs = int(jobs.get(b"process_webhooks|ok", 0)) - int(
        jobs_before.get(b"process_webhooks|ok", 0))
    assert batch_jobs == 3  # 12 events in jobs of 4


def test_the_same_delivery_twice_in_one_batch_is_one_event(app, tenant, emulator, held_batches):
    channel = create_channel(app.test_client(), tenant, "whatsapp", emulator)
    first = json.dumps(wa_message(text="opening")).encode()
    twice = json.dumps(wa_message(text="sent twice")).encode()
    held_batches.queued = 3
    answers = _post_concurrently(app, channel["id"], [first, twice, twice, twice])
    assert [a.status_code for a in answers] == [200] * 4
    assert held_batches.batches == [1, 1]  # the second batch held one row for three deliveries
    repeated = [a.get_json() for a in answers[1:]]
    assert len({r["eventId"] for r in repeated}) == 1
    assert sorted(r["duplicate"] for r in repeated) == [False, True, True]
    with hubdb.db.connection_context():
        assert WebhookEvent.select().count() == 2


def test_refused_deliveries_among_concurrent_ones_get_their_own_errors(
        app, tenant, emulator, held_batches):
    from tests.inbound.conftest import signed_headers

    channel = create_channel(app.test_client(), tenant, "whatsapp", emulator)
    good = json.dumps(wa_message(text="fine")).encode()
    malformed = b'{"object": "whatsapp_business_account", "entry": ['
    posts = [("whatsapp", good, None),
             ("whatsapp", json.dumps(wa_message(text="forged")).encode(),
              {"X-Hub-Signature-256": "sha256=" + "0" * 64}),
             ("messenger", good, None),  # a WhatsApp channel's id under another kind
             ("whatsapp", malformed, None),
             ("whatsapp", json.dumps(wa_message(text="also fine")).encode(), None)]
    answers: list = [None] * len(posts)

    def post(i):
        kind, body, headers = posts[i]
        answers[i] = post_webhook(app.test_client(), kind, channel["id"], body,
                                  headers=headers or signed_headers(channel["id"], body))

    held_batches.queued = 1  # the last valid delivery queues behind the first one's batch
    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(posts))]
    threads[0].start()
    time.sleep(0.05)
    [t.start() for t in threads[1:]]
    [t.join(20) for t in threads]
    assert [a.status_code for a in answers] == [200, 401, 404, 400, 200]
    assert [a.get_json().get("error", {}).get("code") for a in answers[1:4]] == [
        "invalid_signature", "unknown_channel", "invalid_json"]
    assert held_batches.batches == [1, 1]  # only the valid deliveries reached a batch
    with hubdb.db.connection_context():
        assert WebhookEvent.select().count() == 2


def test_a_row_the_database_refuses_fails_only_its_own_delivery(app, tenant, emulator,
                                                                 held_batches):
    channel = create_channel(app.test_client(), tenant, "whatsapp", emulator)
    good = LiveChannel(id=channel["id"], company_id=tenant.company.id, kind="whatsapp",
                       config=None)
    gone = LiveChannel(id="f" * 32, company_id=tenant.company.id, kind="whatsapp", config=None)
    held_batches.queued = 3
    outcomes: dict = {}

    def store(name, target, text):
        try:
            event, created = webhook_intake.store_raw_event(
                target, json.dumps(wa_message(text=text)).encode(), text, {})
            outcomes[name] = (event.id, created)
        except Exception as exc:
            outcomes[name] = exc

    calls = [("first", good, "a"), ("ok1", good, "b"), ("bad", gone, "c"), ("ok2", good, "d")]
    threads = [threading.Thread(target=store, args=call) for call in calls]
    threads[0].start()
    time.sleep(0.05)
    [t.start() for t in threads[1:]]
    [t.join(20) for t in threads]
    # The channel that no longer exists breaks the foreign key of its row only
    assert isinstance(outcomes["bad"], peewee.IntegrityError)
    assert all(isinstance(outcomes[n], tuple) and outcomes[n][1] for n in ("first", "ok1", "ok2"))
    with hubdb.db.connection_context():
        assert sorted(e.dedupe_key for e in WebhookEvent.select()) == ["a", "b", "d"]


def test_a_lost_enqueue_leaves_the_events_pending_for_the_sweeper(client, tenant, emulator,
                                                                   monkeypatch):
    import redis

    from workers.broker import broker

    channel = create_channel(client, tenant, "whatsapp", emulator)

    def down(messages):
        raise redis.ConnectionError("Redis went away")

    monkeypatch.setattr(broker, "enqueue_many", down)
    answer = post_webhook(client, "whatsapp", channel["id"], wa_message(text="kept"))
    assert answer.status_code == 200  # committed: the provider must not send it again
    with hubdb.db.connection_context():
        event = WebhookEvent.get_by_id(answer.get_json()["eventId"])
    assert event.status == "pending" and event.enqueued_at is not None


def test_process_webhooks_runs_every_event_and_retries_only_the_failing_one(
        client, tenant, emulator, inbound_worker, monkeypatch):
    from hub import inbound
    from hub.events import InboundMessage
    from workers.inbound import process_webhooks

    channel = create_channel(client, tenant, "whatsapp", emulator)
    with hubdb.db.connection_context():
        events = [WebhookEvent.create(company=tenant.company.id, channel=channel["id"],
                                      kind="whatsapp", dedupe_key=f"k{i}",
                                      body=json.dumps(wa_message(phone=f"1555111{i:04d}",
                                                                 text=text)))
                  for i, text in enumerate(["one", "poison", "three"])]
    apply_message = inbound.HANDLERS[InboundMessage]
    attempts = []

    def picky(channel_row, e, out):
        if e.text == "poison":
            attempts.append(1)
            raise RuntimeError("cannot apply this one")
        apply_message(channel_row, e, out)

    monkeypatch.setitem(inbound.HANDLERS, InboundMessage, picky)
    process_webhooks.send_with_options(args=([e.id for e in events],), max_retries=1,
                                       min_backoff=10, max_backoff=20)
    inbound_worker.drain()
    with hubdb.db.connection_context():
        rows = {e.dedupe_key: e for e in WebhookEvent.select()}
        assert sorted(m.content for m in Message.select()) == ["one", "three"]
    assert rows["k0"].status == rows["k2"].status == "processed"
    assert rows["k0"].attempts == rows["k2"].attempts == 1  # the retry skipped them
    assert rows["k1"].status == "failed" and "cannot apply" in rows["k1"].error
    assert len(attempts) == 2


def _namespace() -> str:
    from hub.settings import get_settings

    return get_settings().redis_namespace
