"""Delivering agent messages: claim, rate-limit, send, record; retry with backoff or fail.

The Delivery row is the state machine (queued -> sending -> sent | retrying | failed) and the
only lock: a conditional UPDATE claims it, so of two workers racing exactly one sends.
Guarantee: at-least-once towards the provider, exactly-once in the hub. A worker killed after
the provider accepted a message but before the hub recorded it leaves the delivery `sending`;
the sweeper sends it again, and the provider may then show it twice. Parts of a multi-part
send that the provider accepted before an error are remembered and never sent again.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Optional

import requests

from connectors.base import PermanentSendError, SendError, SendResult, TransientSendError
from connectors.registry import get_connector
from hub import delivery_policy as policy
from hub import pending_events
from hub.channel_config import channel_config
from hub.db import transaction
from hub.messages import advance_status, apply_pending_statuses
from hub.models import Channel, Delivery, DeliveryAttempt, Message, utcnow
from hub.presenters import message_dict
from hub.realtime import publish_after_commit

log = logging.getLogger("hub.delivery")

# Delivery states a worker may pick up.
ACTIVE = ("queued", "retrying")
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
    or it is not due."""
    due = Delivery.next_attempt_at.is_null() | (Delivery.next_attempt_at <= now)
    return bool(Delivery.update(status="sending", sending_since=now, updated_at=now,
                                attempts=Delivery.attempts + 1)
                .where((Delivery.id == delivery.id) & Delivery.status.in_(ACTIVE) & due)
                .execute())


def deliver(message_id: str) -> Outcome:
    """Deliver one agent message if its delivery is due; safe to call any number of times."""
    now = utcnow()
    delivery = Delivery.get_or_none(Delivery.message == message_id)
    if delivery is None or delivery.status not in ACTIVE or not claim(delivery, now):
        return Outcome("skipped")
    delivery.attempts += 1  # as the claim counted it
    message = Message.get_by_id(message_id)
    channel = Channel.get_by_id(delivery.channel_id)
    try:
        outbound = policy.build_outbound(message, channel)
        connector = get_connector(channel.kind)
        if channel.deleted_at is not None or channel.status == "disabled":
            raise PermanentSendError("the channel is disabled", code="channel_disabled")
    except (PermanentSendError, KeyError) as exc:
        error = exc if isinstance(exc, SendError) else PermanentSendError(
            f"no connector for channel kind {channel.kind!r}", code="no_connector")
        return _finish(delivery, message, channel, _start_attempt(delivery), 0, error=error)
    wait = policy.take_send_slot(channel, outbound.recipient_id)
    if wait:  # give the claim back: waiting for the provider's limit is not an attempt
        retry_at = utcnow() + timedelta(seconds=wait)
        Delivery.update(status=delivery.status, sending_since=None, next_attempt_at=retry_at,
                        updated_at=utcnow(), attempts=Delivery.attempts - 1
                        ).where(Delivery.id == delivery.id).execute()
        return Outcome("rate_limited", retry_at)
    attempt = _start_attempt(delivery)
    _mark_sending(message)
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
    return _finish(delivery, message, channel, attempt, latency_ms, result=result, error=error)


def _mark_sending(message: Message) -> None:
    """The message is on its way: `sending`, shown to the agents (first attempt only)."""
    if Message.update(status="sending").where((Message.id == message.id)
                                              & (Message.status == "queued")).execute():
        message.status = "sending"
        publish_after_commit(message.company_id, "message.updated", message_dict(message),
                             conversation_id=message.conversation_id)


def _start_attempt(delivery: Delivery) -> DeliveryAttempt:
    """Write the attempt's row before the send, so a crash mid-send shows."""
    number = DeliveryAttempt.select().where(DeliveryAttempt.delivery == delivery.id).count() + 1
    return DeliveryAttempt.create(delivery=delivery.id, number=number, outcome="sending")


def _finish(delivery: Delivery, message: Message, channel: Channel, attempt: DeliveryAttempt,
            latency_ms: int, *, result: Optional[SendResult] = None,
            error: Optional[SendError] = None) -> Outcome:
    """Record the attempt and move the delivery and the message on, in one transaction."""
    now = utcnow()
    attempts = delivery.attempts  # counted by the claim; we hold it, nobody else changes it
    with transaction():
        # Only the claim holder writes the payload, so the row loaded at the claim is current.
        payload: dict[str, Any] = dict(message.payload or {})
        done = list(payload.get("providerMessageIds") or [])
        new_ids = result.provider_message_ids if result else \
            list(getattr(error, "partial_provider_ids", None) or [])
        payload["providerMessageIds"] = done + list(new_ids)
        if new_ids and error is not None:  # parts that went out: never send them again
            Message.update(payload=payload).where(Message.id == message.id).execute()
        row_fields: dict[str, Any] = dict(latency_ms=latency_ms,
                                          http_status=result.http_status if result else
                                          getattr(error, "http_status", None))
        if error is None:
            outcome = _sent(delivery, message, payload, now)
        elif error.transient and attempts <= policy.max_retries(channel):
            outcome = _retrying(delivery, message, channel, error, attempts, now)
        else:
            outcome = _failed(delivery, message, error, attempts, now)
        if error is not None:
            row_fields.update(provider_code=error.code, error=error.reason[:2000])
        DeliveryAttempt.update(outcome={"retrying": "retry"}.get(outcome.action, outcome.action),
                               **row_fields).where(DeliveryAttempt.id == attempt.id).execute()
        # Echoes and reactions that overtook this outcome (webhooks faster than our commit).
        pending_events.after_delivery(channel, message, payload["providerMessageIds"])
    log.info("deliver message=%s channel=%s attempt=%s outcome=%s code=%s ms=%d", message.id,
             channel.kind, attempt.number, outcome.action, error.code if error else None,
             latency_ms)
    return outcome


def _sent(delivery: Delivery, message: Message, payload: dict[str, Any],
          now: datetime) -> Outcome:
    Delivery.update(status="sent", sending_since=None, next_attempt_at=None, updated_at=now,
                    last_error_code=None, last_error_reason=None
                    ).where(Delivery.id == delivery.id).execute()
    ids = payload["providerMessageIds"]
    Message.update(provider_message_id=ids[0] if ids else None, payload=payload
                   ).where(Message.id == message.id).execute()
    row = advance_status(Message.get_by_id(message.id), "sent", now)
    apply_pending_statuses(row or Message.get_by_id(message.id))
    return Outcome("sent")


def _retrying(delivery: Delivery, message: Message, channel: Channel, error: SendError,
              attempts: int, now: datetime) -> Outcome:
    retry_at = policy.next_attempt_at(channel, attempts, now, error.retry_after)
    Delivery.update(status="retrying", sending_since=None, next_attempt_at=retry_at,
                    updated_at=now, last_error_code=error.code, last_error_reason=error.reason
                    ).where(Delivery.id == delivery.id).execute()
    # The message stays `sending`; its error fields tell the agent why it is taking long.
    Message.update(error_code=error.code, error_reason=f"retrying: {error.reason}"
                   ).where(Message.id == message.id).execute()
    row = Message.get_by_id(message.id)
    publish_after_commit(row.company_id, "message.updated", message_dict(row),
                         conversation_id=row.conversation_id)
    return Outcome("retrying", retry_at)


def _failed(delivery: Delivery, message: Message, error: SendError, attempts: int,
            now: datetime) -> Outcome:
    exhausted = error.transient
    reason = (f"gave up after {attempts} attempts: {error.reason}" if exhausted
              else error.reason)
    Delivery.update(status="failed", sending_since=None, next_attempt_at=None, updated_at=now,
                    last_error_code=error.code, last_error_reason=reason,
                    dead_lettered_at=now if exhausted else None
                    ).where(Delivery.id == delivery.id).execute()
    # advance_status publishes message.updated with the code and reason.
    advance_status(message, "failed", now, error.code, reason)
    return Outcome("failed")
