"""Every error class of the providers ends in the right status, code and reason."""
from __future__ import annotations

from datetime import timedelta

import pytest

from hub import db as hubdb
from hub.delivery import deliver
from hub.models import Delivery, DeliveryAttempt, utcnow
from tests.outbound.conftest import faults

# (kind, fault rule, expected code): each transient failure is retried, then dead-lettered.
TRANSIENT = [
    *[("whatsapp", {"type": "error_code", "code": c, "httpStatus": 400}, str(c))
      for c in (1, 2, 4, 80007, 130429, 131000, 131016, 131056, 131057, 133004)],
    ("whatsapp", {"type": "http_5xx", "status": 503}, "2"),
    ("whatsapp", {"type": "rate_limit", "retryAfter": 0}, "130429"),
    ("whatsapp", {"type": "timeout", "timeoutMs": 1500}, "network"),
    ("messenger", {"type": "error_code", "code": 9999, "isTransient": True, "httpStatus": 400},
     "9999"),
    ("messenger", {"type": "http_5xx", "status": 500}, "2"),
    ("instagram", {"type": "rate_limit", "retryAfter": 0}, "613"),
    ("telegram", {"type": "http_5xx", "status": 502}, "502"),
    ("telegram", {"type": "timeout", "timeoutMs": 1500}, "timeout"),
]
PERMANENT = [
    *[("whatsapp", {"type": "error_code", "code": c}, str(c))
      for c in (131047, 131026, 131048, 131049, 190, 368, 100, 132000, 132001)],
    ("messenger", {"type": "error_code", "code": 10,
                   "message": "(#10) This message is sent outside of allowed window."}, "10"),
    ("instagram", {"type": "error_code", "code": 10,
                   "message": "(#10) This message is sent outside of allowed window."}, "10"),
    ("telegram", {"type": "error_code", "code": 400, "message": "Bad Request: chat not found"},
     "400"),
    ("telegram", {"type": "error_code", "code": 403,
                  "message": "Forbidden: bot was blocked by the user"}, "403"),
]


def _ids(cases):
    return [f"{k}-{r['type']}-{code}" for k, r, code in cases]


@pytest.mark.parametrize("kind,rule,code", TRANSIENT, ids=_ids(TRANSIENT))
def test_transient_errors_retry_then_dead_letter(kind, rule, code, make_outbox, emulator,
                                                 worker):
    # given a provider failing every request with a transient error, and 1 retry allowed
    box = make_outbox(kind, maxRetries=1, httpTimeout=0.5)
    faults(emulator, {**rule, "provider": "telegram" if kind == "telegram" else "all"})
    # when an agent sends
    message = box.send("will not arrive")
    delivery = box.wait_for(message.id, ("failed",), timeout=30)
    # expect: two attempts, then failed and dead-lettered with the code and a readable reason
    assert delivery.status == "failed" and delivery.attempts == 2
    assert delivery.dead_lettered_at is not None
    assert delivery.last_error_code == code
    assert delivery.last_error_reason.startswith("gave up after 2 attempts: ")
    row = box.message(message.id)
    assert (row.status, row.error_code) == ("failed", code)
    assert row.error_reason == delivery.last_error_reason
    with hubdb.db.connection_context():
        outcomes = [a.outcome for a in DeliveryAttempt.select().order_by(DeliveryAttempt.number)]
    assert outcomes == ["retry", "failed"]
    assert emulator.state.delivered() == []


@pytest.mark.parametrize("kind,rule,code", PERMANENT, ids=_ids(PERMANENT))
def test_permanent_errors_fail_at_once(kind, rule, code, make_outbox, emulator, worker):
    box = make_outbox(kind, maxRetries=5)
    faults(emulator, {**rule, "provider": "telegram" if kind == "telegram" else "all"})
    message = box.send("refused")
    delivery = box.wait_for(message.id, ("failed",))
    assert (delivery.status, delivery.attempts, delivery.last_error_code) == ("failed", 1, code)
    assert delivery.dead_lettered_at is None  # nothing to retry: a plain failure
    row = box.message(message.id)
    assert row.status == "failed" and row.error_code == code
    assert row.error_reason and "gave up" not in row.error_reason
    assert len(emulator.state.received) == 1


def test_connection_refused_is_transient(make_outbox, db_conn):
    box = make_outbox("whatsapp", apiBaseUrl="http://127.0.0.1:9/v21.0", maxRetries=3)
    message = box.send("nobody listens")
    outcome = deliver(message.id)
    delivery = box.delivery(message.id)
    assert outcome.action == "retrying" and delivery.status == "retrying"
    assert delivery.last_error_code == "network"
    assert box.message(message.id).status == "sending"  # still on its way, with the reason
    assert box.message(message.id).error_reason.startswith("retrying: ")


@pytest.mark.parametrize("kind,retry_after", [("whatsapp", 7), ("messenger", 4),
                                              ("telegram", 3)])
def test_retry_after_is_honoured_exactly(kind, retry_after, make_outbox, emulator, db_conn):
    # given a 429 with Retry-After (Telegram: parameters.retry_after) on the first request
    box = make_outbox(kind)
    faults(emulator, {"type": "rate_limit", "retryAfter": retry_after, "next": 1,
                      "provider": "telegram" if kind == "telegram" else "all"})
    message = box.send("later")
    outcome = deliver(message.id)
    delivery = box.delivery(message.id)
    # expect: the next attempt exactly retry_after seconds after the answer, no jitter
    assert outcome.action == "retrying"
    assert delivery.next_attempt_at - delivery.updated_at == timedelta(seconds=retry_after)
    assert outcome.retry_at == delivery.next_attempt_at
    # and a job arriving early does nothing
    assert deliver(message.id).action == "skipped"
    # once due, it is sent
    Delivery.update(next_attempt_at=utcnow()).where(Delivery.id == delivery.id).execute()
    assert deliver(message.id).action == "sent"
    assert len(emulator.state.delivered()) == 1


def test_backoff_grows_with_jitter(make_outbox, emulator, db_conn):
    box = make_outbox("whatsapp", retryBaseSeconds=10)
    faults(emulator, {"type": "http_5xx", "status": 500})
    message = box.send("flaky")
    delays = []
    for _ in range(3):
        deliver(message.id)
        d = box.delivery(message.id)
        delays.append((d.next_attempt_at - d.updated_at).total_seconds())
        Delivery.update(next_attempt_at=utcnow()).where(Delivery.id == d.id).execute()
    assert 5 <= delays[0] <= 10 and 10 <= delays[1] <= 20 and 20 <= delays[2] <= 40


def test_missing_identity_fails_with_a_reason(make_outbox, db_conn):
    from hub.models import ContactIdentity

    box = make_outbox("telegram")
    ContactIdentity.delete().execute()
    message = box.send("to whom?")
    assert deliver(message.id).action == "failed"
    assert box.message(message.id).error_code == "no_recipient"


def test_waiting_for_a_rate_limit_reschedules_without_using_a_retry(make_outbox, emulator,
                                                                    db_conn):
    # given a chat allowing one message per 10 s; when two messages go to it at once
    box = make_outbox("telegram", ratePerRecipient=0.1, maxRetries=0)
    first, second = box.send("one"), box.send("two")
    assert deliver(first.id).action == "sent"
    outcome = deliver(second.id)
    # expect: the second waits for its slot, with no attempt used and nothing sent
    delivery = box.delivery(second.id)
    assert outcome.action == "rate_limited" and delivery.status == "queued"
    assert delivery.attempts == 0 and 5 < (delivery.next_attempt_at - utcnow()).total_seconds()
    assert DeliveryAttempt.select().where(DeliveryAttempt.delivery == delivery.id).count() == 0
    assert len(emulator.state.delivered()) == 1


def test_every_status_change_is_published(make_outbox, emulator, db_conn):
    import json

    from hub.realtime import history_key
    from hub.redis_client import get_redis

    box = make_outbox("whatsapp", maxRetries=0)
    faults(emulator, {"type": "error_code", "code": 131026, "next": 1})
    message = box.send("undeliverable")
    deliver(message.id)
    events = [json.loads(fields[b"event"] if b"event" in fields else next(iter(fields.values())))
              for _, fields in get_redis().xrange(history_key(box.tenant.company.id))]
    updates = [(e["data"]["status"], e["data"]["errorCode"]) for e in events
               if e["type"] == "message.updated" and e["data"]["id"] == message.id]
    assert updates == [("sending", None), ("failed", "131026")]
