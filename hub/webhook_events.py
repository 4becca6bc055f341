"""Raw webhook events after intake: listing, replay, sweeping and marking failures."""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Optional

from hub.audit import record
from hub.auth import Principal
from hub.db import transaction
from hub.errors import NotFound
from hub.jobs import enqueue_after_commit
from hub.models import WebhookEvent, utcnow
from hub.presenters import iso
from hub.scoping import scoped

# Events pending longer than this (and not enqueued again since) are enqueued by the sweeper.
SWEEP_AFTER = timedelta(minutes=1)
# Most events one sweep re-enqueues; the next sweep takes the rest.
SWEEP_BATCH = 1000


def list_events(company_id: str, *, status: Optional[str] = None,
                channel_id: Optional[str] = None, page: int = 1,
                limit: int = 50) -> tuple[list[WebhookEvent], int]:
    """A page of the company's raw events, newest first; (rows, total)."""
    query = scoped(WebhookEvent, company_id)
    if status:
        query = query.where(WebhookEvent.status == status)
    if channel_id:
        query = query.where(WebhookEvent.channel == channel_id)
    total = query.count()
    rows = list(query.order_by(WebhookEvent.received_at.desc(), WebhookEvent.id.desc())
                .paginate(page, limit))
    return rows, total


def event_dict(e: WebhookEvent) -> dict[str, Any]:
    return {"id": e.id, "channelId": e.channel_id, "kind": e.kind, "status": e.status,
            "attempts": e.attempts, "error": e.error, "dedupeKey": e.dedupe_key,
            "receivedAt": iso(e.received_at), "processedAt": iso(e.processed_at),
            "body": e.body}


def replay(principal: Principal, *, ids: Optional[list[str]] = None,
           status: Optional[str] = None, strict: bool = False) -> list[str]:
    """Reset events to pending and enqueue them; `strict` 404s an unknown single id."""
    query = scoped(WebhookEvent, principal.company_id)
    if ids:
        query = query.where(WebhookEvent.id.in_(ids))
    elif status:
        query = query.where(WebhookEvent.status == status)
    else:
        return []
    chosen = [e.id for e in query.limit(SWEEP_BATCH)]
    if strict and not chosen:
        raise NotFound("webhook event not found")
    with transaction():
        if chosen:
            (WebhookEvent.update(status="pending", error=None, processed_at=None,
                                 enqueued_at=utcnow())
             .where(WebhookEvent.id.in_(chosen)).execute())
            for event_id in chosen:
                enqueue_after_commit("process_webhook", event_id)
        record(principal, "webhook_events.replayed", "webhook_event",
               chosen[0] if len(chosen) == 1 else "", {"count": len(chosen)})
    return chosen


def sweep_pending() -> int:
    """Enqueue again the events left pending (an enqueue lost after the commit)."""
    cutoff = utcnow() - SWEEP_AFTER
    stale = WebhookEvent.select(WebhookEvent.id).where(
        (WebhookEvent.status == "pending") & (WebhookEvent.received_at < cutoff)
        & (WebhookEvent.enqueued_at.is_null() | (WebhookEvent.enqueued_at < cutoff)))
    ids = [e.id for e in stale.order_by(WebhookEvent.received_at).limit(SWEEP_BATCH)]
    with transaction():
        if ids:
            WebhookEvent.update(enqueued_at=utcnow()).where(WebhookEvent.id.in_(ids)).execute()
        for event_id in ids:
            enqueue_after_commit("process_webhook", event_id)
    return len(ids)


def note_failure(event_id: str, error: str, *, final: bool) -> None:
    """Count a failed attempt; the last one marks the event failed, visible and replayable."""
    changes: dict[str, Any] = {"attempts": WebhookEvent.attempts + 1, "error": error[:4000],
                               "enqueued_at": utcnow()}
    if final:
        changes.update(status="failed", processed_at=utcnow())
    WebhookEvent.update(**changes).where((WebhookEvent.id == event_id)
                                         & (WebhookEvent.status == "pending")).execute()
