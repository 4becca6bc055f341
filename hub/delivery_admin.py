"""Deliveries seen from outside the worker: the sweeper, the dead-letter list, manual retry."""
from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any, Optional

from hub import audit
from hub.auth import Principal
from hub.db import transaction
from hub.errors import Conflict, NotFound
from hub.jobs import enqueue_after_commit
from hub.models import Channel, Delivery, DeliveryAttempt, Message, utcnow
from hub.presenters import message_dict
from hub.realtime import publish_after_commit
from hub.settings import get_settings

# A queued or retrying delivery this overdue has lost its job (enqueue failed, broker flushed).
SWEEP_GRACE_SECONDS = 30
# Deliveries the sweeper handles per run; the next run takes the rest.
SWEEP_BATCH = 500


def sweep(now: Optional[datetime] = None, grace_seconds: float = SWEEP_GRACE_SECONDS,
          stuck_after_seconds: Optional[float] = None) -> list[str]:
    """Message ids whose delivery needs a job again: overdue ones and ones stuck `sending`.

    A `sending` delivery older than `stuck_after_seconds` lost its worker mid-send: it goes
    back to `retrying` (its attempt is marked interrupted) so the next job can claim it.
    """
    now = now or utcnow()
    stuck_after = stuck_after_seconds if stuck_after_seconds is not None \
        else get_settings().delivery_stuck_seconds
    overdue = now - timedelta(seconds=grace_seconds)
    due = Delivery.select(Delivery.message).where(
        ((Delivery.status == "queued") & (Delivery.updated_at <= overdue)
         & (Delivery.next_attempt_at.is_null() | (Delivery.next_attempt_at <= overdue)))
        | ((Delivery.status == "retrying") & (Delivery.next_attempt_at <= overdue))
    ).limit(SWEEP_BATCH)
    ids = [d.message_id for d in due]
    stuck = Delivery.select().where((Delivery.status == "sending")
                                    & (Delivery.sending_since <= now - timedelta(
                                        seconds=stuck_after))).limit(SWEEP_BATCH)
    for delivery in stuck:
        with transaction():
            # Conditional on the same sending_since: a worker that just finished wins.
            released = Delivery.update(
                status="retrying", sending_since=None, next_attempt_at=now, updated_at=now,
                last_error_code="interrupted",
                last_error_reason="the worker stopped during the send; sending again",
            ).where((Delivery.id == delivery.id) & (Delivery.status == "sending")
                    & (Delivery.sending_since == delivery.sending_since)).execute()
            if released:
                (DeliveryAttempt.update(outcome="interrupted",
                                        error="worker stopped before the provider answered")
                 .where((DeliveryAttempt.delivery == delivery.id)
                        & (DeliveryAttempt.outcome == "sending")).execute())
                ids.append(delivery.message_id)
    return ids


def get_delivery(company_id: str, message_id: str) -> Delivery:
    """The delivery of a message of this company; 404 for any other."""
    row = (Delivery.select().where((Delivery.message == message_id)
                                   & (Delivery.company == company_id)).first()
           if isinstance(message_id, str) and len(message_id) <= 64 else None)
    if row is None:
        raise NotFound("delivery not found")
    return row


def retry_failed(principal: Principal, message_id: str) -> Delivery:
    """Send a failed message again: its delivery back to `queued` with a fresh retry budget."""
    delivery = get_delivery(principal.company_id, message_id)
    if delivery.status != "failed":
        raise Conflict(f"only a failed delivery can be retried (this one is {delivery.status})",
                       code="not_failed")
    now = utcnow()
    with transaction():
        reset = Delivery.update(status="queued", attempts=0, next_attempt_at=None,
                                sending_since=None, dead_lettered_at=None, updated_at=now
                                ).where((Delivery.id == delivery.id)
                                        & (Delivery.status == "failed")).execute()
        if not reset:
            raise Conflict("the delivery changed meanwhile; reload it", code="not_failed")
        # An explicit step back from `failed`, which statuses otherwise never take.
        Message.update(status="queued", error_code=None, error_reason=None
                       ).where(Message.id == message_id).execute()
        message = Message.get_by_id(message_id)
        publish_after_commit(message.company_id, "message.updated", message_dict(message),
                             conversation_id=message.conversation_id)
        audit.record(principal, "delivery.retry", "message", message_id,
                     {"previousError": delivery.last_error_code})
        enqueue_after_commit("deliver_message", message_id)
    return Delivery.get_by_id(delivery.id)


def list_deliveries(company_id: str, *, status: Optional[str] = None,
                    dead_lettered: Optional[bool] = None, page: int = 1,
                    page_size: int = 20) -> dict[str, Any]:
    """A page of the company's deliveries, newest change first, with their message and channel."""
    query = (Delivery.select(Delivery, Message, Channel).join(Message)
             .switch(Delivery).join(Channel).where(Delivery.company == company_id))
    if status:
        query = query.where(Delivery.status == status)
    if dead_lettered is not None:
        query = query.where(Delivery.dead_lettered_at.is_null(not dead_lettered))
    total = query.count()
    rows = list(query.order_by(Delivery.updated_at.desc(), Delivery.id.desc())
                .paginate(page, page_size))
    return {"items": rows, "total_count": total, "page": page,
            "total_pages": max(1, math.ceil(total / page_size))}


def attempts_of(company_id: str, message_id: str) -> list[DeliveryAttempt]:
    delivery = get_delivery(company_id, message_id)
    return list(DeliveryAttempt.select().where(DeliveryAttempt.delivery == delivery.id)
                .order_by(DeliveryAttempt.number))

