"""A real `dramatiq workers.actors` process SIGKILLed in the middle of `process_webhook`.

The first worker is started with the HUB_TEST_PAUSE_AFTER_INSERT hook: it inserts the message,
writes a marker file and sleeps inside the open transaction. The test kills its whole process
group (no rollback sent, no ack), starts a second worker, and Dramatiq's Redis broker requeues
the unacked job once the dead worker's heartbeat is older than the (test-short) timeout.

The two workers and the job use a Redis namespace of their own: other worker processes of the
run (the browser tests' session-wide hub) must not take the job instead.
"""
from __future__ import annotations

import time

import json

import dramatiq
import pytest
from dramatiq.brokers.redis import RedisBroker

from hub import db as hubdb
from hub.models import Contact, Conversation, Message, WebhookEvent
from hub.settings import get_settings
from tests.inbound.builders import wa_message
from tests.inbound.conftest import create_channel

# The broker declares a silent worker dead after 2 s and runs maintenance on every command.
FAST_REQUEUE = {"HUB_BROKER_HEARTBEAT_TIMEOUT_MS": "2000",
                "HUB_BROKER_MAINTENANCE_CHANCE": "1000000"}


def _wait(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _namespace() -> str:
    """Starts with the run's namespace, so the per-test Redis cleanup removes it too."""
    return f"{get_settings().redis_namespace}kill"


@pytest.fixture
def worker_process(spawn_worker):
    """One-thread workers that requeue a dead worker's jobs fast, in a namespace of their own."""

    def start(**extra_env: str):
        return spawn_worker(threads=1, **FAST_REQUEUE, HUB_REDIS_NAMESPACE=_namespace(),
                            **extra_env)

    start.kill = spawn_worker.kill
    return start


def _counts() -> tuple[int, int, int, str]:
    with hubdb.db.connection_context():
        return (Message.select().count(), Conversation.select().count(),
                Contact.select().count(), WebhookEvent.get().status)


def test_worker_killed_between_insert_and_commit_gives_one_message(client, tenant, emulator,
                                                                   worker_process, tmp_path):
    marker = tmp_path / "paused"
    channel = create_channel(client, tenant, "whatsapp", emulator)
    # Given a worker that stops right after inserting the message, transaction still open
    first = worker_process(HUB_TEST_PAUSE_AFTER_INSERT=str(marker))
    with hubdb.db.connection_context():
        event = WebhookEvent.create(company=tenant.company.id, channel=channel["id"],
                                    kind="whatsapp", dedupe_key="kill-1",
                                    body=json.dumps(wa_message(text="killed once")))
    broker = RedisBroker(url=get_settings().redis_url, namespace=f"{_namespace()}:dq")
    broker.enqueue(dramatiq.Message(queue_name="inbound", actor_name="process_webhook",
                                    args=(event.id,), kwargs={}, options={}))
    _wait(marker.exists)
    assert _counts() == (0, 0, 0, "pending")  # nothing of the open transaction is visible
    # When the worker is SIGKILLed mid-job and a new worker starts
    worker_process.kill(first)
    worker_process()
    # Then the requeued job runs again to the end: one of each, the event processed
    _wait(lambda: _counts()[3] == "processed")
    assert _counts() == (1, 1, 1, "processed")
    with hubdb.db.connection_context():
        message = Message.get()
        assert message.content == "killed once"
        assert Conversation.get().unread_count == 1
