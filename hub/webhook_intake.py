"""Raw webhook intake: commit the provider's body once, then enqueue its processing.

The web view (and Telegram polling) calls `store_raw_event`; the provider gets its 2xx only after
this returns, so an acknowledged delivery is always in the database.
"""
from __future__ import annotations

from typing import Any, Mapping

from hub.db import db, is_postgres, transaction
from hub.jobs import enqueue_after_commit
from hub.models import WebhookEvent, new_id, utcnow

# Headers kept with the raw event: enough to re-check or debug a delivery, nothing more.
KEPT_HEADERS = ("content-type", "user-agent", "x-hub-signature-256",
                "x-telegram-bot-api-secret-token", "x-request-id")


def kept_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The subset of request headers stored with an event (secrets masked)."""
    kept = {}
    for name, value in headers.items():
        lowered = name.lower()
        if lowered in KEPT_HEADERS:
            kept[lowered] = "****" if "secret" in lowered else str(value)[:500]
    return kept


def store_raw_event(channel: Any, raw_body: bytes, dedupe_key: str,
                    headers: Mapping[str, str]) -> tuple[WebhookEvent, bool]:
    """Insert the raw event unless (channel, dedupe_key) exists; (row, created).

    `channel` is a Channel row or a `LiveChannel` (anything with id, company_id and kind). The
    insert is atomic; `process_webhook` is enqueued after the commit, only for a new row (a
    redelivery of a row still pending is left to its first job or the sweeper). A new row is
    known from the insert's RETURNING; only a redelivery reads the existing row.
    """
    key = dedupe_key[:128]
    fields = dict(id=new_id(), company=channel.company_id, channel=channel.id,
                  kind=channel.kind, dedupe_key=key, body=raw_body.decode("utf-8"),
                  headers=kept_headers(headers), status="pending", attempts=0,
                  received_at=utcnow(), enqueued_at=utcnow())
    if is_postgres() and not db.in_transaction():
        # On PostgreSQL (autocommit) one INSERT is its own transaction, committed when it
        # returns: no BEGIN and COMMIT round trips. The enqueue below runs after it.
        inserted = _insert(fields)
        if inserted:
            enqueue_after_commit("process_webhook", fields["id"])
    else:
        with transaction():
            inserted = _insert(fields)
            if inserted:
                enqueue_after_commit("process_webhook", fields["id"])
    if inserted:
        return WebhookEvent(**fields), True
    return WebhookEvent.get((WebhookEvent.channel == channel.id)
                            & (WebhookEvent.dedupe_key == key)), False


def _insert(fields: dict[str, Any]) -> bool:
    """Insert unless the (channel, dedupe_key) row exists; True if this call inserted it."""
    return bool(list(WebhookEvent.insert(**fields).on_conflict_ignore()
                     .returning(WebhookEvent.id).tuples().execute()))
