"""Connected provider accounts: create, list, update, soft-delete, with secrets encrypted at rest."""
from __future__ import annotations

import logging
import secrets
from datetime import datetime
from typing import Any, Optional

import requests

from connectors.registry import get_connector
from hub.audit import record
from hub.auth import Principal
from hub.channel_config import channel_config
from hub.crypto import decrypt_json, encrypt, encrypt_json, mask
from hub.db import transaction
from hub.errors import NotFound, ValidationError
from hub.jobs import enqueue_after_commit
from hub.models import Channel, ChannelTemplate, utcnow
from hub.presenters import iso
from hub.scoping import get_scoped, scoped
from hub.settings import get_settings

log = logging.getLogger("hub.channels")

# Kinds this module connects; the widget has its own lane and API.
PROVIDER_KINDS = ("whatsapp", "instagram", "messenger", "telegram")
# Kinds whose webhook subscription is confirmed with a verify-token handshake.
META_KINDS = ("whatsapp", "instagram", "messenger")
# Channel settings keys the hub understands (others are refused, so typos are seen).
SETTINGS_KEYS = {"apiBaseUrl": str, "httpTimeout": (int, float), "pollingMode": bool}


def webhook_url(channel: Channel) -> str:
    """The URL providers post to for this channel."""
    return f"{get_settings().public_url}/webhooks/{channel.kind}/{channel.id}"


def _check_kind(kind: str) -> None:
    if kind == "widget":
        raise ValidationError("website widgets are created with /api/widgets",
                              code="unsupported_kind")
    if kind not in PROVIDER_KINDS:
        raise ValidationError(f"unknown channel kind {kind!r}", code="unsupported_kind",
                              details={"kind": [f"one of {', '.join(PROVIDER_KINDS)}"]})


def _check_credentials(kind: str, credentials: dict[str, Any]) -> None:
    required = get_connector(kind).required_credentials()
    missing = [name for name in required if not str(credentials.get(name) or "").strip()]
    if missing:
        raise ValidationError("missing credentials", code="missing_credentials",
                              details={"credentials": {m: ["required"] for m in missing}})
    bad = [k for k, v in credentials.items() if not isinstance(v, (str, int))]
    if bad:
        raise ValidationError("credentials must be strings", code="invalid_credentials",
                              details={"credentials": {k: ["must be a string"] for k in bad}})


def _check_settings(settings: dict[str, Any]) -> dict[str, Any]:
    errors = {}
    for name, value in settings.items():
        expected = SETTINGS_KEYS.get(name)
        if expected is None:
            errors[name] = ["unknown setting"]
        elif not isinstance(value, expected) or (expected is not bool and isinstance(value, bool)):
            errors[name] = ["wrong type"]
    url = settings.get("apiBaseUrl")
    if isinstance(url, str) and not url.startswith(("http://", "https://")):
        errors["apiBaseUrl"] = ["must be an http(s) URL"]
    if errors:
        raise ValidationError("invalid settings", code="invalid_settings",
                              details={"settings": errors})
    return settings


def _connect(channel: Channel) -> Channel:
    """Tell the provider where to post (Telegram setWebhook); record a failure on the row."""
    connector = get_connector(channel.kind)
    status, detail = "active", None
    try:
        with requests.Session() as http:
            connector.on_connect(channel_config(channel), webhook_url(channel), http)
    except Exception as exc:  # the channel exists; the admin sees why it is not receiving
        log.warning("on_connect failed channel=%s error=%r", channel.id, exc)
        status, detail = "error", f"webhook registration failed: {exc}"
    Channel.update(status=status, status_detail=detail, updated_at=utcnow()).where(
        Channel.id == channel.id).execute()
    return Channel.get_by_id(channel.id)


def create_channel(principal: Principal, kind: str, name: str, credentials: dict[str, Any],
                   settings: Optional[dict[str, Any]] = None) -> Channel:
    """Connect a provider account; Telegram registers its webhook right away."""
    _check_kind(kind)
    _check_credentials(kind, credentials)
    settings = _check_settings(dict(settings or {}))
    generated = get_connector(kind).generated_credentials()
    with transaction():
        channel = Channel.create(
            company=principal.company_id, kind=kind, name=name,
            credentials_encrypted=encrypt_json({k: str(v) for k, v in credentials.items()}),
            settings=settings,
            verify_token=secrets.token_urlsafe(24) if kind in META_KINDS else None,
            secret_token_encrypted=encrypt(generated["secretToken"])
            if generated.get("secretToken") else None)
        record(principal, "channel.created", "channel", channel.id, {"kind": kind})
        # The first sync now, not at the next hourly round: templates for the composer and the
        # channel's health on its page right after connecting.
        enqueue_after_commit("sync_channel", channel.id)
    return _connect(channel)


def update_channel(principal: Principal, channel: Channel, changes: dict[str, Any]) -> Channel:
    """Rename, replace some credentials, change settings or status (admin)."""
    updates: dict[str, Any] = {"updated_at": utcnow()}
    credentials_changed = False
    if "name" in changes:
        updates["name"] = changes["name"]
    if "credentials" in changes:
        merged = {**decrypt_json(channel.credentials_encrypted),
                  **{k: str(v) for k, v in changes["credentials"].items()}}
        _check_credentials(channel.kind, merged)
        updates["credentials_encrypted"] = encrypt_json(merged)
        credentials_changed = True
    if "settings" in changes:
        updates["settings"] = _check_settings({**(channel.settings or {}), **changes["settings"]})
    if "status" in changes:
        updates["status"] = changes["status"]
    with transaction():
        Channel.update(**updates).where(Channel.id == channel.id).execute()
        record(principal, "channel.updated", "channel", channel.id,
               {"fields": sorted(k for k in changes if k != "credentials")
                + (["credentials"] if credentials_changed else [])})
        if credentials_changed:  # another account or token: what the last sync found may be stale
            enqueue_after_commit("sync_channel", channel.id)
    channel = Channel.get_by_id(channel.id)
    if credentials_changed and channel.kind == "telegram":
        channel = _connect(channel)  # a new bot token needs its webhook registered again
    return channel


def delete_channel(principal: Principal, channel: Channel) -> None:
    """Soft delete: webhooks stop being accepted, conversations and messages stay."""
    with transaction():
        Channel.update(deleted_at=utcnow(), status="disabled", updated_at=utcnow()).where(
            Channel.id == channel.id).execute()
        record(principal, "channel.deleted", "channel", channel.id)


def live_channels(company_id: str):
    return scoped(Channel, company_id).where(Channel.deleted_at.is_null()).order_by(
        Channel.created_at, Channel.id)


def get_channel(company_id: str, channel_id: str) -> Channel:
    """A channel of the company that is not deleted, or 404."""
    channel = get_scoped(Channel, channel_id, company_id, "channel")
    if channel.deleted_at is not None:
        raise NotFound("channel not found")  # the same answer as a foreign id
    return channel


def channel_dict(channel: Channel, *, show_verify_token: bool = False) -> dict[str, Any]:
    """The API shape: masked credentials, the webhook URL and (admins) the verify token."""
    try:
        credentials = {k: mask(str(v)) for k, v in
                       decrypt_json(channel.credentials_encrypted).items()}
    except ValueError:  # SECRET_KEY changed: say so instead of failing the listing
        credentials = {}
    result = {
        "id": channel.id, "kind": channel.kind, "name": channel.name, "status": channel.status,
        "statusDetail": channel.status_detail, "settings": channel.settings or {},
        "credentials": credentials, "webhookUrl": webhook_url(channel),
        "createdAt": iso(channel.created_at), "updatedAt": iso(channel.updated_at),
    }
    if channel.kind in META_KINDS and show_verify_token:
        result["verifyToken"] = channel.verify_token
    result["sync"] = sync_health(channel)
    return result


# What Telegram's getWebhookInfo tells about delivery to our URL (nothing secret in it).
WEBHOOK_INFO_FIELDS = ("url", "pending_update_count", "last_error_date", "last_error_message",
                       "max_connections")


def sync_health(channel: Channel) -> dict[str, Any]:
    """The channel sync's last word, for the channel page: when, any error, and per kind the
    phone number's quality and limits (WhatsApp) or the webhook's health (Telegram)."""
    state = channel.sync_state or {}
    synced = state.get("lastSyncAt")
    health: dict[str, Any] = {"lastSyncAt": iso(datetime.fromisoformat(synced)) if synced else None,
                              "lastSyncError": state.get("lastSyncError")}
    if channel.kind == "whatsapp":
        health["phone"] = state.get("phone")
        health["templates"] = channel.templates.count()
        # False: the channel has no businessAccountId, so templates cannot be synced.
        health["templatesSynced"] = state.get("templatesSynced")
    if channel.kind == "telegram":
        info = state.get("webhookInfo")
        health["webhookInfo"] = ({k: info[k] for k in WEBHOOK_INFO_FIELDS if k in info}
                                 if isinstance(info, dict) else None)
        health["mode"] = (channel.settings or {}).get("mode", "webhook")
    return health


def channel_templates(company_id: str, channel_id: str) -> list[dict[str, Any]]:
    """The message templates the last sync found for a channel (WhatsApp), for the composer."""
    channel = get_channel(company_id, channel_id)
    rows = channel.templates.order_by(ChannelTemplate.name, ChannelTemplate.language)
    return [{"name": t.name, "language": t.language, "category": t.category,
             "status": t.status, "components": t.components or [],
             "syncedAt": iso(t.synced_at)} for t in rows]
