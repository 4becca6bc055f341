"""Delivering agent messages: claim, rate-limit, send, record; retry with backoff or fail.

The Delivery row is the state machine (queued -> sending -> sent | retrying | failed) and the
only lock: a conditional UPDATE claims it, so of two workers racing exactly one sends.
Guarantee: at-least-once towards the provider, exactly-once in the hub. A worker killed after
the provider accepted a message but before the hub recorded it leaves the delivery `sending`;
the sweeper sends it again, and the provider may then show it twice. Parts of a multi-part
send that the provider accepted before an error are remembered and never sent again.

Round trips per send: one joined read, one transaction for the claim (claim, attempt row,
message `sending`), one for the outcome; rows just written come back by RETURNING.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Optional

import requests
from peewee import OperationalError, fn

from connectors.base import PermanentSendError, SendError, SendResult, TransientSendError
from connectors.registry import get_connector
from hub import delivery_policy as policy
from hub import pending_events
from hub.channel_config import channel_config
from hub.db import transaction
from hub.delivery_job import DeliveryJob, load_job
from hub.messages import advance_status, apply_pending_statuses, lock_provider_id, \
    record_parts
from hub.models import Delivery, DeliveryAttempt, Message, new_id, utcnow
from hub.presenters import message_dict
from hub.realtime import publish_after_commit

log = logging.getLogger("hub.delivery")

# Delivery states a worker may pick up.
ACTIVE = ("queued", "retrying")
# Times the outcome of a send is written before the job gives up (and the sweeper resends).
OUTCOME_TRIES = 3
_local = threading.local()


@dataclass
class Outcome:
    """What one `deliver` call did; `retry_at` is when the job should run again."""

    action: str  # skipped, sent, retrying, failed, rate_limited
    retry_at: Optional[datetime] = None


def _http() -> requests.Session:
    """One HTTP session per worker thread, so connections to a provider are reused."""
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
    return _local.session


def claim(delivery: Delivery, now: datetime) -> bool:
    """Move a due delivery to `sending` and count the attempt; False when another worker has it
    or it is not due.

    Conditional on the attempt count as loaded too, so a winner knows the count it made.
    """
    due = Delivery.next_attempt_at.is_null() | (Delivery.next_attempt_at <= now)
    return bool(Delivery.update(status="sending", sending_since=now, updated_at=now,
                                attempts=Delivery.attempts + 1)
                .where((Delivery.id == delivery.id) & Delivery.status.in_(ACTIVE) & due
                       & (Delivery.attempts == delivery.attempts))
                .execute())


def _due(delivery: Delivery, now: datetime) -> bool:
    return delivery.status in ACTIVE and (delivery.next_attempt_at is None
                                          or delivery.next_attempt_at <= now)


def deliver(message_id: str) -> Outcome:
    """Deliver one agent message if its delivery is due; safe to call any number of times."""
    now = utcnow()
    job = load_job(message_id)
    if job is None or not _due(job.delivery, now):
        return Outcome("skipped")
    delivery, message, channel = job.delivery, job.message, job.channel
    try:
        outbound = policy.build_outbound(message, channel, job.recipient_id, job.attachments,
                                         job.reply_to_provider_id)
        connector = get_connector(channel.kind)
        if channel.deleted_at is not None or channel.status == "disabled":
            raise PermanentSendError("the channel is disabled", code="channel_disabled")
    except (PermanentSendError, KeyError) as exc:
        error = exc if isinstance(exc, SendError) else PermanentSendError(
            f"no connector for channel kind {channel.kind!r}", code="no_connector")
        attempt = _claim_and_start(job, now, mark_sending=False)
        if attempt is None:
            return Outcome("skipped")
        return _finish(job, attempt, 0, error=error)
    # The slot before the claim: waiting for the provider's limit is not an attempt.
    wait = policy.take_send_slot(channel, outbound.recipient_id)
    if wait:
        retry_at = utcnow() + timedelta(seconds=wait)
        Delivery.update(next_attempt_at=retry_at, updated_at=utcnow()).where(
            (Delivery.id == delivery.id) & Delivery.status.in_(ACTIVE)
            & (Delivery.attempts == delivery.attempts)).execute()
        return Outcome("rate_limited", retry_at)
    attempt = _claim_and_start(job, utcnow(), mark_sending=True)
    if attempt is None:
        return Outcome("skipped")
    config = channel_config(channel)
    outbound.before_request = lambda: policy.keep_recipient_gap(channel, outbound.recipient_id)
    started = time.monotonic()
    result: Optional[SendResult] = None
    error: Optional[SendError] = None
    try:
        result = connector.send(config, outbound, _http())
    except SendError as exc:
        error = exc
    except Exception as exc:  # a connector bug must not leave the delivery spinning
        log.exception("connector %s crashed sending message %s", channel.kind, message_id)
        error = TransientSendError(f"internal error: {exc!r}", code="internal_error")
    latency_ms = int((time.monotonic() - started) * 1000)
    return _finish(job, attempt, latency_ms, result=result, error=error)


def _claim_and_start(job: DeliveryJob, now: datetime, *, mark_sending: bool
                     ) -> Optional[str]:
    """Claim the delivery, write the attempt's row (before the send, so a crash mid-send
    shows) and mark the message `sending`, in one transaction; the attempt's id, or None
    when another worker has the delivery."""
    delivery = job.delivery
    with transaction():
        if not claim(delivery, now):
            return None
        delivery.attempts += 1  # as the claim counted it
        attempt_id = new_id()
        # Numbered after the rows already there (a manual retry restarts `attempts`).
        number = fn.COALESCE(DeliveryAttempt.select(fn.MAX(DeliveryAttempt.number)).where(
            DeliveryAttempt.delivery == delivery.id), 0) + 1
        DeliveryAttempt.insert(id=attempt_id, delivery=delivery.id, number=number,
                               started_at=now, outcome="sending").execute()
        if mark_sending:
            _mark_sending(job)
    return attempt_id


def _mark_sending(job: DeliveryJob) -> None:
    """The message is on its way: `sending`, shown to the agents (first attempt only)."""
    rows = list(Message.update(status="sending").where(
        (Message.id == job.message.id) & (Message.status == "queued"))
        .returning(Message).execute())
    if rows:
        job.message = rows[0]
        publish_after_commit(job.message.company_id, "message.updated",
                             message_dict(job.message, job.attachments),
                             conversation_id=job.message.conversation_id)


def _finish(job: DeliveryJob, attempt_id: str, latency_ms: int, *,
            result: Optional[SendResult] = None, error: Optional[SendError] = None) -> Outcome:
    """Record the attempt and move the delivery and the message on, in one transaction."""
    # The provider has answered: its outcome must be recorded, or the delivery stays `sending`
    # until the sweeper sends it again. A deadlock or a lost connection is retried here.
    for attempt_no in range(1, OUTCOME_TRIES + 1):
        try:
            return _record(job, attempt_id, latency_ms, result, error)
        except OperationalError:
            if attempt_no == OUTCOME_TRIES:
                raise
            log.warning("recording the outcome of message %s failed; trying again",
                        job.message.id, exc_info=True)
            time.sleep(0.05 * attempt_no)
    raise AssertionError("unreachable")


def _record(job: DeliveryJob, attempt_id: str, latency_ms: int,
            result: Optional[SendResult], error: Optional[SendError]) -> Outcome:
    delivery, message, channel = job.delivery, job.message, job.channel
    now = utcnow()
    attempts = delivery.attempts  # counted by the claim; we hold it, nobody else changes it
    with transaction():
        pending_events.lock_in_flight(message)
        # Only the claim holder writes the payload, so the row loaded at the claim is current.
        payload: dict[str, Any] = dict(message.payload or {})
        done = list(payload.get("providerMessageIds") or [])
        new_ids = result.provider_message_ids if result else \
            list(getattr(error, "partial_provider_ids", None) or [])
        payload["providerMessageIds"] = done + list(new_ids)
        if new_ids and error is not None:  # parts that went out: never send them again
            Message.update(payload=payload).where(Message.id == message.id).execute()
        if new_ids:  # statuses and reactions for the later parts must find the message
            record_parts(message, payload["providerMessageIds"])
        row_fields: dict[str, Any] = dict(latency_ms=latency_ms,
                                          http_status=result.http_status if result else
                                          getattr(error, "http_status", None))
        if error is None:
            outcome = _sent(job, payload, now)
        elif error.transient and attempts <= policy.max_retries(channel):
            outcome = _retrying(job, error, attempts, now)
        else:
            outcome = _failed(job, error, attempts, now)
        if error is not None:
            row_fields.update(provider_code=error.code, error=error.reason[:2000])
        DeliveryAttempt.update(outcome={"retrying": "retry"}.get(outcome.action, outcome.action),
                               **row_fields).where(DeliveryAttempt.id == attempt_id).execute()
        # Echoes and reactions that overtook this outcome (webhooks faster than our commit).
        pending_events.after_delivery(channel, message, payload["providerMessageIds"])
    log.info("deliver message=%s channel=%s attempt=%s outcome=%s code=%s ms=%d", message.id,
             channel.kind, attempts, outcome.action, error.code if error else None, latency_ms)
    return outcome


def _sent(job: DeliveryJob, payload: dict[str, Any], now: datetime) -> Outcome:
    Delivery.update(status="sent", sending_since=None, next_attempt_at=None, updated_at=now,
                    last_error_code=None, last_error_reason=None
                    ).where(Delivery.id == job.delivery.id).execute()
    ids = payload["providerMessageIds"]
    ids_fields = dict(provider_message_id=ids[0] if ids else None, payload=payload)
    # Provider id, payload and status in one conditional UPDATE ... RETURNING.
    row = advance_status(job.message, "sent", now, attachments=job.attachments, **ids_fields)
    if row is None:  # the status was already past `sent`: the ids are still the truth
        rows = list(Message.update(**ids_fields).where(Message.id == job.message.id)
                    .returning(Message).execute())
        row = rows[0] if rows else job.message
    if row.provider_message_id:
        # Statuses and events parked for the id before this commit are applied here (those
        # after it find the message): the id's lock between the UPDATE and the checks, which
        # are this DELETE and `after_delivery`'s SELECT (PostgreSQL; see lock_provider_id).
        lock_provider_id(row.channel_id, row.provider_message_id)
    apply_pending_statuses(row)
    return Outcome("sent")


def _retrying(job: DeliveryJob, error: SendError, attempts: int, now: datetime) -> Outcome:
    retry_at = policy.next_attempt_at(job.channel, attempts, now, error.retry_after)
    Delivery.update(status="retrying", sending_since=None, next_attempt_at=retry_at,
                    updated_at=now, last_error_code=error.code, last_error_reason=error.reason
                    ).where(Delivery.id == job.delivery.id).execute()
    # The message stays `sending`; its error fields tell the agent why it is taking long.
    rows = list(Message.update(error_code=error.code, error_reason=f"retrying: {error.reason}")
                .where(Message.id == job.message.id).returning(Message).execute())
    if rows:
        publish_after_commit(rows[0].company_id, "message.updated",
                             message_dict(rows[0], job.attachments),
                             conversation_id=rows[0].conversation_id)
    return Outcome("retrying", retry_at)


def _failed(job: DeliveryJob, error: SendError, attempts: int, now: datetime) -> Outcome:
    exhausted = error.transient
    reason = (f"gave up after {attempts} attempts: {error.reason}" if exhausted
              else error.reason)
    Delivery.update(status="failed", sending_since=None, next_attempt_at=None, updated_at=now,
                    last_error_code=error.code, last_error_reason=reason,
                    dead_lettered_at=now if exhausted else None
                    ).where(Delivery.id == job.delivery.id).execute()
    # advance_status publishes message.updated with the code and reason.
    advance_status(job.message, "failed", now, error.code, reason, attachments=job.attachments)
    return Outcome("failed")
