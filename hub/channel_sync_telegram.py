"""Telegram contact profile refresh: getChat for private chats (names and username).

Telegram sends a user's name with each message, but a contact who renamed themselves, or who
only ever appeared in a group, keeps a stale name; the hourly channel sync asks getChat for the
stalest private-chat identities. Groups (negative chat ids) have no person behind them.
"""
from __future__ import annotations

from typing import Any

from hub.channel_sync import SyncError, get_json
from hub.channel_sync_meta import PROFILE_BATCH, PROFILE_MAX_AGE
from hub.db import transaction
from hub.models import Contact, ContactIdentity, utcnow


def _is_private_chat(external_id: str) -> bool:
    return external_id.isdigit()  # users are positive ids; groups and channels negative


def refresh_telegram_profiles(channel, creds: dict[str, Any], url_for) -> int:
    """Names and usernames of the stalest private-chat identities; returns how many were asked."""
    cutoff = (utcnow() - PROFILE_MAX_AGE).isoformat()
    candidates = (ContactIdentity.select().join(Contact)
                  .where(ContactIdentity.channel == channel.id, Contact.erased_at.is_null())
                  .order_by(ContactIdentity.created_at))
    refreshed = 0
    for identity in candidates:
        if refreshed >= PROFILE_BATCH:
            break
        if not _is_private_chat(identity.external_id) or \
                (identity.profile or {}).get("refreshedAt", "") > cutoff:
            continue
        try:
            body = get_json(url_for("getChat"), params={"chat_id": identity.external_id})
        except SyncError as exc:
            if exc.status in (400, 403):  # chat gone or bot blocked: try again next week
                _save(identity, {}, error=str(exc)[:200])
                refreshed += 1
                continue
            raise
        _save(identity, body.get("result") or {})
        refreshed += 1
    return refreshed


def _save(identity: ContactIdentity, chat: dict[str, Any], error: str | None = None) -> None:
    name = " ".join(filter(None, [chat.get("first_name"), chat.get("last_name")]))
    previous = identity.display_name
    with transaction():
        identity.display_name = name or identity.display_name
        identity.username = chat.get("username") or identity.username
        identity.profile = {**(identity.profile or {}), "refreshedAt": utcnow().isoformat(),
                            "error": error}
        identity.save()
        contact = identity.contact
        # The provider's name follows the provider; a name an agent typed is never overwritten.
        if name and contact.name in ("", None, previous) and contact.name != name:
            contact.name = name
            contact.save()
