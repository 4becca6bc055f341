"""Channel sync: what the hub pulls from providers (templates, health, polling, history).

Provider APIs are called with `requests` at `channel.settings["apiBaseUrl"]` (an emulator in
tests) or the real provider. Results land in Channel.sync_state, ChannelTemplate rows, raw
WebhookEvents (Telegram polling, processed like webhooks) and messages (Meta backfill).
"""
from __future__ import annotations

import json
import logging
from typing import Any, Callable, Optional

import requests

from hub.crypto import decrypt_json
from hub.db import transaction
from hub.webhook_intake import store_raw_event
from hub.models import Channel, ChannelTemplate, utcnow

log = logging.getLogger("hub.channel_sync")

GRAPH_API_BASE = "https://graph.facebook.com/v21.0"
TELEGRAM_API_BASE = "https://api.telegram.org"
# Seconds before a provider call counts as failed; the next hourly run tries again.
HTTP_TIMEOUT = 15
# Pages of templates read per sync (a page holds up to 25 by default).
MAX_TEMPLATE_PAGES = 20
# Updates fetched per getUpdates call (Telegram's maximum).
TELEGRAM_BATCH = 100


class SyncError(Exception):
    """A provider answered with an error; recorded in sync_state.lastSyncError."""

    def __init__(self, message: str, status: Optional[int] = None, body: Any = None):
        super().__init__(message)
        self.status, self.body = status, body


def credentials(channel: Channel) -> dict[str, Any]:
    return decrypt_json(channel.credentials_encrypted) if channel.credentials_encrypted else {}


def api_base(channel: Channel, default: str) -> str:
    return str((channel.settings or {}).get("apiBaseUrl") or default).rstrip("/")


def get_json(url: str, **kwargs: Any) -> dict[str, Any]:
    """GET a provider URL and decode JSON; non-2xx raises SyncError with the provider's words."""
    response = requests.get(url, timeout=HTTP_TIMEOUT, **kwargs)
    try:
        body = response.json()
    except ValueError:
        body = {"raw": response.text[:200]}
    if response.status_code >= 400:
        raise SyncError(f"HTTP {response.status_code}: {json.dumps(body)[:300]}",
                        response.status_code, body)
    return body


def sync_whatsapp(channel: Channel, creds: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    """Templates (upserted, vanished ones removed) and the phone number's quality and limits."""
    base = api_base(channel, GRAPH_API_BASE)
    headers = {"Authorization": f"Bearer {creds.get('accessToken', '')}"}
    templates: list[dict[str, Any]] = []
    # Templates belong to the business account, not the number: without its id there is nothing
    # to ask (a request to /None/message_templates would only fail), the number is still read.
    account = creds.get("businessAccountId")
    url: Optional[str] = f"{base}/{account}/message_templates" if account else None
    state["templatesSynced"] = bool(account)
    for _ in range(MAX_TEMPLATE_PAGES):
        if not url:
            break
        page = get_json(url, headers=headers)
        templates += page.get("data") or []
        url = (page.get("paging") or {}).get("next")
    phone = get_json(f"{base}/{creds.get('phoneNumberId')}", headers=headers, params={
        "fields": "quality_rating,messaging_limit_tier,display_phone_number,verified_name"})
    state["phone"] = {"qualityRating": phone.get("quality_rating"),
                      "messagingLimitTier": phone.get("messaging_limit_tier"),
                      "displayPhoneNumber": phone.get("display_phone_number"),
                      "verifiedName": phone.get("verified_name")}
    if not account:
        return {"templates": None}
    now = utcnow()
    with transaction():
        seen = []
        for t in templates:
            row = {"company": channel.company_id, "channel": channel.id, "name": t["name"],
                   "language": t.get("language", ""), "category": t.get("category", ""),
                   "status": t.get("status", ""), "components": t.get("components", []),
                   "synced_at": now}
            (ChannelTemplate.insert(row)
             .on_conflict(conflict_target=[ChannelTemplate.channel, ChannelTemplate.name,
                                           ChannelTemplate.language],
                          update={ChannelTemplate.category: row["category"],
                                  ChannelTemplate.status: row["status"],
                                  ChannelTemplate.components: row["components"],
                                  ChannelTemplate.synced_at: now})
             .execute())
            seen.append((t["name"], t.get("language", "")))
        for old in ChannelTemplate.select().where(ChannelTemplate.channel == channel.id):
            if (old.name, old.language) not in seen:
                old.delete_instance()
    return {"templates": len(templates)}


def _telegram_url(channel: Channel, creds: dict[str, Any], method: str) -> str:
    return f"{api_base(channel, TELEGRAM_API_BASE)}/bot{creds.get('botToken', '')}/{method}"


def poll_telegram(channel: Channel, creds: dict[str, Any], state: dict[str, Any]) -> int:
    """One getUpdates round from the stored offset; each update becomes a raw event."""
    params = {"timeout": 0, "limit": TELEGRAM_BATCH}
    if state.get("telegramOffset"):
        params["offset"] = state["telegramOffset"]
    body = get_json(_telegram_url(channel, creds, "getUpdates"), params=params)
    if not body.get("ok"):
        raise SyncError(f"getUpdates: {body.get('description')}")
    updates = body.get("result") or []
    with transaction():
        for update in updates:
            raw = json.dumps(update, separators=(",", ":")).encode()
            store_raw_event(channel, raw, str(update["update_id"]), {"X-Hub-Source": "polling"})
        if updates:
            # The offset moves in the same commit as the events: a crash re-reads, dedupe absorbs.
            state["telegramOffset"] = max(u["update_id"] for u in updates) + 1
            _save_state(channel, state)
    return len(updates)


def sync_telegram(channel: Channel, creds: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    """getWebhookInfo for the channel page, a polling round for bots in polling mode, and the
    contacts' profiles (getChat)."""
    from hub.channel_sync_telegram import refresh_telegram_profiles

    info = get_json(_telegram_url(channel, creds, "getWebhookInfo"))
    state["webhookInfo"] = info.get("result") or {}
    polled = 0
    if (channel.settings or {}).get("mode") == "polling":
        polled = poll_telegram(channel, creds, state)
    profiles = refresh_telegram_profiles(
        channel, creds, lambda method: _telegram_url(channel, creds, method))
    return {"polled": polled, "profiles": profiles}


def _save_state(channel: Channel, state: dict[str, Any]) -> None:
    Channel.update(sync_state=state, updated_at=utcnow()).where(Channel.id == channel.id).execute()


def _syncers() -> dict[str, Callable[[Channel, dict, dict], dict[str, Any]]]:
    from hub.channel_sync_meta import sync_meta

    return {"whatsapp": sync_whatsapp, "telegram": sync_telegram, "instagram": sync_meta,
            "messenger": sync_meta}


def sync_channel(channel_id: str, poll_only: bool = False) -> dict[str, Any]:
    """Sync one channel; the outcome (or the provider's error) is kept in its sync_state."""
    channel = Channel.get_or_none(Channel.id == channel_id, Channel.deleted_at.is_null())
    if channel is None or channel.status == "disabled":
        return {"skipped": "channel gone or disabled"}
    syncer = _syncers().get(channel.kind)
    if syncer is None:
        return {"skipped": f"nothing to sync for {channel.kind}"}
    state = dict(channel.sync_state or {})
    creds = credentials(channel)
    try:
        if poll_only:
            result = {"polled": poll_telegram(channel, creds, state)}
        else:
            result = syncer(channel, creds, state)
        state.update(lastSyncAt=utcnow().isoformat(), lastSyncError=None)
    except (SyncError, requests.RequestException) as exc:
        state.update(lastSyncAt=utcnow().isoformat(), lastSyncError=str(exc)[:500])
        _save_state(channel, state)
        log.warning("channel sync failed channel=%s error=%s", channel_id, exc)
        raise SyncError(str(exc)) from exc
    _save_state(channel, state)
    log.info("channel sync channel=%s kind=%s result=%s", channel_id, channel.kind, result)
    return result
