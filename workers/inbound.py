"""Inbound actors: process a raw webhook event, download media, route, sweep stragglers."""
from __future__ import annotations

import logging

import dramatiq
from dramatiq.middleware import CurrentMessage

import workers.broker  # noqa: F401
from hub import inbound, jobs, media, pending_events, routing, webhook_events
from workers.scheduler import register

log = logging.getLogger("hub.inbound")

# Attempts of process_webhook after the first; the last failure marks the event failed.
PROCESS_RETRIES = 6
# Attempts of a media download after the first (provider hiccups, expiring URLs).
MEDIA_RETRIES = 5


def _is_last_attempt(default_max: int) -> bool:
    message = CurrentMessage.get_current_message()
    if message is None:  # called synchronously (tests): every call is the last
        return True
    max_retries = message.options.get("max_retries", default_max)
    return message.options.get("retries", 0) >= max_retries


@dramatiq.actor(queue_name="inbound", max_retries=PROCESS_RETRIES, min_backoff=1000,
                max_backoff=60_000)
def process_webhook(event_id: str) -> None:
    """Turn one raw event into contacts, conversations and messages (idempotent)."""
    try:
        inbound.process_webhook_event(event_id)
    except inbound.UnprocessableEvent as exc:
        webhook_events.note_failure(event_id, str(exc), final=True)
    except Exception as exc:
        webhook_events.note_failure(event_id, f"{type(exc).__name__}: {exc}",
                                    final=_is_last_attempt(PROCESS_RETRIES))
        raise


@dramatiq.actor(queue_name="inbound", max_retries=PROCESS_RETRIES, min_backoff=1000,
                max_backoff=60_000)
def process_webhooks(event_ids: list[str]) -> None:
    """Events the web intake committed together, each as `process_webhook` would.

    Every event is attempted even if one before it fails; a failure is noted on its own event
    and raised at the end, so the job is retried and the rerun skips the events already done.
    """
    errors = []
    for event_id in event_ids:
        try:
            process_webhook.fn(event_id)
        except Exception as exc:
            errors.append(exc)
    if errors:
        raise errors[0]


@dramatiq.actor(queue_name="media", max_retries=MEDIA_RETRIES, min_backoff=2000,
                max_backoff=300_000)
def download_media(attachment_id: str) -> None:
    """Fetch a provider file into attachment storage; the last failure marks it failed."""
    try:
        media.download_attachment(attachment_id)
    except Exception as exc:
        if _is_last_attempt(MEDIA_RETRIES):
            media.mark_failed(attachment_id, f"{type(exc).__name__}: {exc}")
            return
        raise


@dramatiq.actor(queue_name=jobs.ROUTING_QUEUE, max_retries=5)
def route_conversation(conversation_id: str) -> None:
    """Assign a new conversation by the company's routing rule (on its own queue: see
    hub.jobs.ROUTING_QUEUE)."""
    routing.route_conversation(conversation_id)


@dramatiq.actor(queue_name="default", max_retries=0)
def sweep_webhook_events() -> None:
    """Enqueue again raw events still pending after a minute; release stale parked echoes."""
    pending_events.sweep_stale_echoes()
    count = webhook_events.sweep_pending()
    if count:
        log.info("sweep re-enqueued %d webhook events", count)


register("sweep_webhook_events", "sweep_webhook_events", 60)
