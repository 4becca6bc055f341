"""Processing guarantees: races, order, status before message, reruns, failures and replay."""
from __future__ import annotations

import threading

import pytest

from hub import db as hubdb
from hub import inbound
from hub.events import InboundMessage
from hub.messages import thread
from hub.models import Contact, Conversation, Message, WebhookEvent
from tests.inbound.builders import wa_message, wa_status
from tests.inbound.conftest import create_channel, post_webhook


def _post_all(client, channel, bodies) -> list[str]:
    ids = []
    for body in bodies:
        answer = post_webhook(client, "whatsapp", channel["id"], body)
        assert answer.status_code == 200
        ids.append(answer.get_json()["eventId"])
    return ids


def test_parallel_posts_and_jobs_for_one_new_contact_make_one_conversation(app, tenant,
                                                                          emulator):
    # Given 8 webhooks of one new contact posted at once from 8 threads
    client = app.test_client()
    channel = create_channel(client, tenant, "whatsapp", emulator)
    bodies = [wa_message(text=f"part {i}", ts=1718031600 + i) for i in range(8)]
    ids: list[str] = []
    barrier = threading.Barrier(8)

    def post(body):
        barrier.wait()
        answer = post_webhook(app.test_client(), "whatsapp", channel["id"], body)
        assert answer.status_code == 200
        ids.append(answer.get_json()["eventId"])

    threads = [threading.Thread(target=post, args=(b,)) for b in bodies]
    [t.start() for t in threads]
    [t.join() for t in threads]
    # When 8 jobs process them at the same moment
    errors = []
    barrier = threading.Barrier(8)

    def process(event_id):
        barrier.wait()
        try:
            with hubdb.db.connection_context():
                inbound.process_webhook_event(event_id)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=process, args=(i,)) for i in ids]
    [t.start() for t in threads]
    [t.join() for t in threads]
    # Then there is one contact, one open conversation, eight messages
    assert not errors
    with hubdb.db.connection_context():
        assert Contact.select().count() == 1
        assert Conversation.select().count() == 1
        assert Message.select().count() == 8
        assert Conversation.get().unread_count == 8


def test_out_of_order_jobs_still_show_provider_order(client, tenant, emulator, db_conn):
    channel = create_channel(client, tenant, "whatsapp", emulator)
    bodies = [wa_message(text=f"m{i}", ts=1718031600 + i * 10) for i in range(5)]
    ids = _post_all(client, channel, bodies)
    for event_id in reversed(ids):  # the newest job runs first
        inbound.process_webhook_event(event_id)
    conversation = Conversation.get()
    rows, _ = thread(conversation.id)
    assert [m.content for m in rows] == ["m0", "m1", "m2", "m3", "m4"]
    assert conversation.last_message_preview == "m4"


def test_status_before_message_is_applied_when_the_message_arrives(client, tenant, emulator,
                                                                   db_conn):
    # Given a Messenger delivery receipt for a message sent from the page's own app
    channel = create_channel(client, tenant, "messenger", emulator)
    mid = "m_ECHO_0001"
    sender, page = "6748202618560327", "107749458413722"
    delivery = {"object": "page", "entry": [{"id": page, "time": 1718031602000, "messaging": [
        {"sender": {"id": sender}, "recipient": {"id": page}, "timestamp": 1718031602000,
         "delivery": {"mids": [mid], "watermark": 1718031601000}}]}]}
    echo = {"object": "page", "entry": [{"id": page, "time": 1718031601000, "messaging": [
        {"sender": {"id": page}, "recipient": {"id": sender}, "timestamp": 1718031600000,
         "message": {"mid": mid, "text": "We shipped it", "is_echo": True, "app_id": 1}}]}]}
    first, second = _post_all_kind(client, "messenger", channel, [delivery, echo])
    # When the status job runs before the message job
    inbound.process_webhook_event(first)
    assert Message.select().count() == 0
    inbound.process_webhook_event(second)
    # Then the echo is an agent message, already delivered
    message = Message.get()
    assert (message.direction, message.sender_type, message.status) == ("out", "agent",
                                                                         "delivered")


def _post_all_kind(client, kind, channel, bodies):
    ids = []
    for body in bodies:
        answer = post_webhook(client, kind, channel["id"], body)
        assert answer.status_code == 200
        ids.append(answer.get_json()["eventId"])
    return ids


def test_statuses_never_go_backwards(client, tenant, emulator, db_conn):
    channel = create_channel(client, tenant, "whatsapp", emulator)
    wamid = "wamid.OURS0001"
    ids = _post_all(client, channel, [wa_status(wamid, "read", ts=1718031800),
                                      wa_status(wamid, "delivered", ts=1718031700),
                                      wa_message(wamid=wamid, text="echo-like")])
    for event_id in ids:
        inbound.process_webhook_event(event_id)
    # An inbound message never takes outgoing statuses
    assert Message.get().status == "received"


def test_job_killed_half_way_then_rerun_gives_one_message(client, tenant, emulator, db_conn,
                                                          monkeypatch):
    channel = create_channel(client, tenant, "whatsapp", emulator)
    [event_id] = _post_all(client, channel, [wa_message(text="only once")])
    # Given a job that dies after inserting the message, before finishing
    import hub.inbound_apply as apply

    def die(*args, **kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(apply, "touch_conversation", die)
    with pytest.raises(SystemExit):
        inbound.process_webhook_event(event_id)
    monkeypatch.undo()
    assert Message.select().count() == 0 and WebhookEvent.get().status == "pending"
    # When it runs again, and again after a crash that lost only the acknowledgement
    assert inbound.process_webhook_event(event_id) == "processed"
    WebhookEvent.update(status="pending").execute()
    assert inbound.process_webhook_event(event_id) == "processed"
    # Then there is one message and one unread count
    assert Message.select().count() == 1
    assert Conversation.get().unread_count == 1


def test_last_retry_marks_event_failed_then_replay_processes_it(client, tenant, emulator,
                                                                inbound_worker, monkeypatch):
    from workers.inbound import process_webhook

    channel = create_channel(client, tenant, "whatsapp", emulator)
    with hubdb.db.connection_context():
        event = WebhookEvent.create(company=tenant.company.id, channel=channel["id"],
                                    kind="whatsapp", dedupe_key="k1",
                                    body=__import__("json").dumps(wa_message(text="retry me")))
    calls = []

    def broken(channel, e, out):
        calls.append(1)
        raise RuntimeError("provider profile lookup exploded")

    monkeypatch.setitem(inbound.HANDLERS, InboundMessage, broken)
    process_webhook.send_with_options(args=(event.id,), max_retries=2, min_backoff=10,
                                      max_backoff=20)
    inbound_worker.drain()
    with hubdb.db.connection_context():
        failed = WebhookEvent.get_by_id(event.id)
    assert len(calls) == 3
    assert failed.status == "failed" and failed.attempts == 3
    assert "exploded" in failed.error
    # The admin lists it and replays it once the cause is fixed
    listed = client.get("/api/webhook-events?status=failed", headers=tenant.headers).get_json()
    assert [e["id"] for e in listed["events"]] == [event.id] and listed["totalCount"] == 1
    monkeypatch.undo()
    answer = client.post(f"/api/webhook-events/{event.id}/replay", headers=tenant.headers)
    assert answer.status_code == 200 and answer.get_json()["replayed"] == 1
    inbound_worker.drain()
    with hubdb.db.connection_context():
        assert WebhookEvent.get_by_id(event.id).status == "processed"
        assert Message.get().content == "retry me"


def test_replay_by_status_and_ids_is_admin_only_and_tenant_scoped(client, tenant, other_tenant,
                                                                  emulator, inbound_worker):
    channel = create_channel(client, tenant, "whatsapp", emulator)
    with hubdb.db.connection_context():
        events = [WebhookEvent.create(company=tenant.company.id, channel=channel["id"],
                                      kind="whatsapp", dedupe_key=f"k{i}", status="failed",
                                      body=__import__("json").dumps(wa_message(text=f"r{i}")))
                  for i in range(3)]
    _, agent_headers = tenant.add_user("support")
    assert client.get("/api/webhook-events", headers=agent_headers).status_code == 403
    assert client.post(f"/api/webhook-events/{events[0].id}/replay",
                       headers=other_tenant.headers).status_code == 404
    assert client.get("/api/webhook-events", headers=other_tenant.headers).get_json()[
        "totalCount"] == 0
    assert client.post("/api/webhook-events/replay", headers=tenant.headers,
                       json={}).status_code == 400
    one = client.post("/api/webhook-events/replay", headers=tenant.headers,
                      json={"ids": [events[0].id]}).get_json()
    assert one["replayed"] == 1
    rest = client.post("/api/webhook-events/replay", headers=tenant.headers,
                       json={"status": "failed"}).get_json()
    assert sorted(rest["ids"]) == sorted(e.id for e in events[1:])
    inbound_worker.drain()
    with hubdb.db.connection_context():
        assert {e.status for e in WebhookEvent.select()} == {"processed"}
        assert Message.select().count() == 3


def test_sweeper_reenqueues_events_left_pending(client, tenant, emulator, inbound_worker):
    from datetime import timedelta

    from hub.models import utcnow
    from workers.inbound import sweep_webhook_events

    channel = create_channel(client, tenant, "whatsapp", emulator)
    old = utcnow() - timedelta(minutes=5)
    with hubdb.db.connection_context():
        event = WebhookEvent.create(company=tenant.company.id, channel=channel["id"],
                                    kind="whatsapp", dedupe_key="lost", received_at=old,
                                    body=__import__("json").dumps(wa_message(text="lost")))
        fresh = WebhookEvent.create(company=tenant.company.id, channel=channel["id"],
                                    kind="whatsapp", dedupe_key="fresh", enqueued_at=utcnow(),
                                    body=__import__("json").dumps(wa_message(text="fresh")))
    sweep_webhook_events.send()
    inbound_worker.drain()
    with hubdb.db.connection_context():
        assert WebhookEvent.get_by_id(event.id).status == "processed"
        assert WebhookEvent.get_by_id(fresh.id).status == "pending"
    from workers.scheduler import SCHEDULE
    assert SCHEDULE["sweep_webhook_events"] == ("sweep_webhook_events", 60)
