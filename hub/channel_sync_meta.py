"""Instagram and Messenger sync: conversation history backfill and contact profile refresh.

Backfill reads `GET {apiBase}/{pageId}/conversations?platform=...&fields=messages{...}` within
the channel's Graph call budget (a Redis window shared by every worker) and stops on a Graph
throttling answer. Messages are inserted on conflict ignore, so those already received by
webhook (unique per channel and provider id) are never duplicated.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Optional

from hub import ratelimit
from hub.channel_sync import GRAPH_API_BASE, SyncError, api_base, get_json
from hub.db import transaction
from hub.inbound_apply import Outcome, apply_waiting
from hub.messages import find_message
from hub.models import Contact, ContactIdentity, Conversation, Message, utcnow

# Graph calls per hour a channel's sync may spend (Meta's budget is shared with sending).
DEFAULT_CALLS_PER_HOUR = 200
# Conversation pages read per backfill run.
MAX_PAGES = 5
# Graph error codes meaning "slow down": app, user, page and API-specific call limits.
THROTTLE_CODES = {4, 17, 32, 613}
# Identities whose profile is refreshed per run, the stalest first.
PROFILE_BATCH = 20
# A profile older than this is refreshed.
PROFILE_MAX_AGE = timedelta(days=7)


def _budget(channel) -> bool:
    """Spend one Graph call of the channel's hourly budget; False once it is used up."""
    limit = int((channel.settings or {}).get("graphCallsPerHour") or DEFAULT_CALLS_PER_HOUR)
    allowed, _ = ratelimit.hit(f"graph-sync:{channel.id}", limit, 3600)
    return allowed


def _time(value: str) -> datetime:
    parsed = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    return parsed.astimezone(timezone.utc).replace(tzinfo=None)


def _contact_for(channel, external_id: str, name: Optional[str]) -> Contact:
    identity = ContactIdentity.get_or_none(ContactIdentity.channel == channel.id,
                                           ContactIdentity.external_id == external_id)
    if identity is None:
        contact = Contact.create(company=channel.company_id, name=name or "")
        ContactIdentity.insert(company=channel.company_id, contact=contact, channel=channel.id,
                               external_id=external_id, display_name=name or "").on_conflict_ignore().execute()
        identity = ContactIdentity.get(ContactIdentity.channel == channel.id,
                                       ContactIdentity.external_id == external_id)
    return identity.contact


def _conversation_for(channel, contact: Contact, first: datetime, last: datetime) -> Conversation:
    """The contact's latest conversation on the channel, or a closed one holding the history."""
    existing = (Conversation.select().where(Conversation.channel == channel.id,
                                            Conversation.contact == contact)
                .order_by(Conversation.started_at.desc()).first())
    if existing:
        return existing
    return Conversation.create(company=channel.company_id, channel=channel.id, contact=contact,
                               status="closed", started_at=first, ended_at=last,
                               last_message_at=last)


def backfill(channel, creds: dict[str, Any], page_id: str) -> dict[str, Any]:
    """Import recent history; returns pages read, messages inserted, and whether it paused."""
    base = api_base(channel, GRAPH_API_BASE)
    url: Optional[str] = f"{base}/{page_id}/conversations"
    params: Optional[dict[str, Any]] = {
        "platform": channel.kind, "fields": "messages{id,message,from,to,created_time}",
        "access_token": creds.get("accessToken", "")}
    pages = inserted = 0
    while url and pages < MAX_PAGES:
        if not _budget(channel):
            return {"pages": pages, "inserted": inserted, "paused": "rate budget spent"}
        try:
            body = get_json(url, params=params)
        except SyncError as exc:
            error = (exc.body or {}).get("error") if isinstance(exc.body, dict) else None
            if exc.status == 429 or (error or {}).get("code") in THROTTLE_CODES:
                return {"pages": pages, "inserted": inserted, "paused": "throttled by Graph"}
            raise
        pages += 1
        for thread in body.get("data") or []:
            inserted += _store_thread(channel, page_id, (thread.get("messages") or {}).get("data") or [])
        url, params = (body.get("paging") or {}).get("next"), None  # `next` carries every param
    return {"pages": pages, "inserted": inserted, "paused": None}


def _store_thread(channel, page_id: str, messages: list[dict[str, Any]]) -> int:
    if not messages:
        return 0
    times = [_time(m["created_time"]) for m in messages]
    customer = next((m["from"] for m in messages if m["from"]["id"] != page_id), None)
    if customer is None:
        customer = ((messages[0].get("to") or {}).get("data") or [{}])[0]
    if not customer.get("id"):
        return 0
    inserted = 0
    with transaction():
        contact = _contact_for(channel, customer["id"], customer.get("name") or customer.get("username"))
        conv = _conversation_for(channel, contact, min(times), max(times))
        for m, at in zip(messages, times):
            from_page = m["from"]["id"] == page_id
            if find_message(channel.id, m["id"]) is not None:
                continue  # received by webhook already, an earlier backfill, or a part we sent
            rows = list(Message.insert(
                company=channel.company_id, conversation=conv, channel=channel.id,
                provider_message_id=m["id"], direction="out" if from_page else "in",
                sender_type="agent" if from_page else "customer",
                content=m.get("message") or "", timestamp=at, created_at=utcnow(),
                status="sent" if from_page else "received", payload={"backfilled": True}
            ).on_conflict_ignore().returning(Message).execute())
            if not rows:
                continue  # a webhook stored it meanwhile
            inserted += 1
            # Its webhook was lost, but a reply, status or reaction for it may have come.
            apply_waiting(channel, rows[0], Outcome())
    return inserted


def refresh_profiles(channel, creds: dict[str, Any]) -> int:
    """Names and avatars of the stalest identities (skipping erased contacts)."""
    base = api_base(channel, GRAPH_API_BASE)
    fields = "name,username,profile_pic" if channel.kind == "instagram" else "first_name,last_name,profile_pic"
    cutoff = (utcnow() - PROFILE_MAX_AGE).isoformat()
    refreshed = 0
    candidates = (ContactIdentity.select().join(Contact)
                  .where(ContactIdentity.channel == channel.id, Contact.erased_at.is_null())
                  .order_by(ContactIdentity.created_at))
    for identity in candidates:
        if refreshed >= PROFILE_BATCH:
            break
        if (identity.profile or {}).get("refreshedAt", "") > cutoff or not _budget(channel):
            continue
        body = get_json(f"{base}/{identity.external_id}",
                        params={"fields": fields, "access_token": creds.get("accessToken", "")})
        name = body.get("name") or " ".join(filter(None, [body.get("first_name"), body.get("last_name")]))
        with transaction():
            identity.display_name = name or identity.display_name
            identity.username = body.get("username") or identity.username
            identity.profile = {**(identity.profile or {}), "avatar": body.get("profile_pic"),
                                "refreshedAt": utcnow().isoformat()}
            identity.save()
            contact = identity.contact
            contact.name = contact.name or name or ""
            contact.avatar = body.get("profile_pic") or contact.avatar
            contact.save()
        refreshed += 1
    return refreshed


def sync_meta(channel, creds: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    """Backfill then profile refresh for an Instagram or Messenger channel."""
    page_id = str(creds.get("pageId") or (channel.settings or {}).get("pageId") or "")
    if not page_id:
        raise SyncError("channel has no pageId")
    result = backfill(channel, creds, page_id)
    state["backfill"] = {**result, "at": utcnow().isoformat()}
    result["profiles"] = refresh_profiles(channel, creds)
    return result
