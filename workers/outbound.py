"""Outbound actors: deliver a message, mark messages read on the provider, sweep deliveries.

Retries of a send are the Delivery state machine's (hub.delivery): the actor re-enqueues itself
for the time the delivery says. Dramatiq's own retries only cover unexpected crashes.
"""
from __future__ import annotations

import logging
from datetime import datetime

import dramatiq

import workers.broker  # noqa: F401  (the broker before the actors)
from hub import delivery, delivery_admin
from hub.models import utcnow
from workers.scheduler import register

log = logging.getLogger("hub.delivery")

# Seconds between sweeps of overdue and stuck deliveries.
SWEEP_INTERVAL = 30


def _delay_ms(at: datetime) -> int:
    return max(0, int((at - utcnow()).total_seconds() * 1000))


@dramatiq.actor(queue_name="outbound", max_retries=5, min_backoff=1000, time_limit=300_000)
def deliver_message(message_id: str) -> None:
    """Deliver one agent message (no-op unless its delivery is due)."""
    outcome = delivery.deliver(message_id)
    if outcome.retry_at is not None:
        deliver_message.send_with_options(args=(message_id,), delay=_delay_ms(outcome.retry_at))


@dramatiq.actor(queue_name="outbound", max_retries=3, min_backoff=2000)
def mark_read_on_provider(message_ids: list[str]) -> None:
    """Tell the provider the agent read these incoming messages (WhatsApp blue ticks)."""
    from hub.read_receipts import mark_read_on_provider as mark

    mark(message_ids)


@dramatiq.actor(queue_name="default", max_retries=0)
def sweep_deliveries(stuck_after_seconds: float | None = None) -> None:
    """Re-enqueue deliveries that lost their job or their worker."""
    ids = delivery_admin.sweep(stuck_after_seconds=stuck_after_seconds)
    for message_id in ids:
        deliver_message.send(message_id)
    if ids:
        log.info("sweep re-enqueued %d deliveries", len(ids))


register("sweep_deliveries", "sweep_deliveries", SWEEP_INTERVAL)
