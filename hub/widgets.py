"""Widgets: create (with their channel), update, delete, the embed snippet and the secret."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any, Optional

from hub.audit import record
from hub.auth import Principal
from hub.companies import merged
from hub.crypto import decrypt, encrypt, mask
from hub.db import transaction
from hub.models import Channel, User, Widget, utcnow
from hub.scoping import get_scoped, scoped
from hub.settings import get_settings

DEFAULT_SETTINGS: dict[str, Any] = {
    "theme": "light",  # light, dark, auto
    "position": "bottom-right",  # bottom-right, bottom-left
    "colors": {"primary": "#2563eb", "background": "#ffffff", "text": "#111827"},
    "title": "Chat with us",
    "greeting": "Hi! How can we help?",
    "offlineMessage": "We are offline right now; leave a message and we will answer by email.",
}
# Pre-chat fields of a new widget when none are given: name required, email optional.
DEFAULT_PRE_CHAT_FIELDS: list[dict[str, Any]] = [
    {"key": "name", "label": "Name", "type": "name", "required": True},
    {"key": "email", "label": "Email", "type": "email", "required": False},
]


def widget_settings(widget: Widget) -> dict[str, Any]:
    return merged(DEFAULT_SETTINGS, widget.settings)


def agents_online(company_id: str) -> bool:
    """Whether an active agent of the company is online now (presence keeps User.status)."""
    return User.select(User.id).where(User.company == company_id, User.is_active == True,  # noqa: E712
                                      User.role.in_(("admin", "support")),
                                      User.status == "online").exists()


def embed_snippet(widget_id: str) -> str:
    return (f'<script src="{get_settings().public_url}/widget.js?id={widget_id}" '
            'async></script>')


def widget_secret(widget: Widget) -> str:
    return decrypt(widget.secret_encrypted)


def masked_secret(widget: Widget) -> str:
    return mask(widget_secret(widget))


def user_hash(secret: str, user_id: str) -> str:
    """What the host site computes to vouch for a logged-in user: HMAC-SHA256 hex of the id."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def list_widgets(principal: Principal) -> list[Widget]:
    return list(scoped(Widget, principal.company_id).order_by(Widget.created_at))


def get_widget(principal: Principal, widget_id: str) -> Widget:
    return get_scoped(Widget, widget_id, principal.company_id, "widget")


def create_widget(principal: Principal, *, name: str, type: str = "floating",
                  settings: Optional[dict[str, Any]] = None,
                  pre_chat_fields: Optional[list[dict[str, Any]]] = None,
                  status: str = "active", allow_localhost: bool = False) -> tuple[Widget, str]:
    """A widget and its `widget` channel; (row, the secret in clear, shown this once)."""
    principal.require_role("admin")
    secret = secrets.token_hex(32)
    with transaction():
        channel = Channel.create(company=principal.company_id, kind="widget", name=name,
                                 settings={}, status="active" if status == "active" else "disabled")
        widget = Widget.create(
            company=principal.company_id, channel=channel.id, name=name, type=type,
            settings=settings or {}, status=status, allow_localhost=allow_localhost,
            pre_chat_fields=DEFAULT_PRE_CHAT_FIELDS if pre_chat_fields is None else pre_chat_fields,
            secret_encrypted=encrypt(secret))
        Channel.update(settings={"widgetId": widget.id}).where(Channel.id == channel.id).execute()
        record(principal, "widget.created", "widget", widget.id, {"name": name, "type": type})
    return widget, secret


def update_widget(principal: Principal, widget: Widget, changes: dict[str, Any]) -> Widget:
    """Apply the given fields; `settings` merges into the stored settings (colours one level)."""
    principal.require_role("admin")
    updates: dict[str, Any] = {}
    for field in ("name", "type", "status", "allow_localhost", "pre_chat_fields"):
        if field in changes:
            updates[field] = changes[field]
    if "settings" in changes:
        stored = dict(widget.settings or {})
        for k, v in (changes["settings"] or {}).items():
            stored[k] = {**stored.get(k, {}), **v} if isinstance(v, dict) else v
        updates["settings"] = stored
    with transaction():
        Widget.update(**updates, updated_at=utcnow()).where(Widget.id == widget.id).execute()
        if widget.channel_id and ("name" in updates or "status" in updates):
            channel_updates: dict[str, Any] = {"updated_at": utcnow()}
            if "name" in updates:
                channel_updates["name"] = updates["name"]
            if "status" in updates:
                channel_updates["status"] = "active" if updates["status"] == "active" else "disabled"
            Channel.update(**channel_updates).where(Channel.id == widget.channel_id).execute()
        record(principal, "widget.updated", "widget", widget.id, {"fields": sorted(updates)})
    return Widget.get_by_id(widget.id)


def rotate_secret(principal: Principal, widget: Widget) -> tuple[Widget, str]:
    principal.require_role("admin")
    secret = secrets.token_hex(32)
    with transaction():
        Widget.update(secret_encrypted=encrypt(secret), updated_at=utcnow()).where(
            Widget.id == widget.id).execute()
        record(principal, "widget.secret_rotated", "widget", widget.id)
    return Widget.get_by_id(widget.id), secret


def delete_widget(principal: Principal, widget: Widget) -> None:
    """Remove the widget; its channel is kept (soft-deleted) so past conversations stay readable."""
    principal.require_role("admin")
    with transaction():
        if widget.channel_id:
            Channel.update(status="disabled", deleted_at=utcnow(), updated_at=utcnow()).where(
                Channel.id == widget.channel_id).execute()
        widget.delete_instance()
        record(principal, "widget.deleted", "widget", widget.id, {"name": widget.name})
