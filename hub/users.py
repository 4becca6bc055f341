"""Users: creation and edits by an admin, own profile edits, presence status, own settings."""
from __future__ import annotations

from typing import Any

from hub.audit import record
from hub.auth import Principal, hash_password
from hub.companies import DEFAULT_USER_SETTINGS, merged, user_settings
from hub.db import transaction
from hub.errors import Conflict, Forbidden, ValidationError
from hub.models import Channel, User, utcnow
from hub.realtime import publish_after_commit
from hub.scoping import get_scoped, scoped

# Fields a user may change on their own profile; everything else needs an admin.
SELF_EDITABLE = frozenset({"name", "avatar"})


def create_user(principal: Principal, *, email: str, name: str, password: str,
                role: str = "support", **fields) -> User:
    principal.require_role("admin")
    email = email.strip().lower()
    with transaction():
        if User.select().where(User.email == email).exists():
            raise Conflict("a user with this email already exists", code="email_taken")
        if fields.get("channel_ids"):
            _check_channels(principal.company_id, fields["channel_ids"])
        user = User.create(company=principal.company_id, email=email, name=name, role=role,
                           password_hash=hash_password(password), settings={}, **fields)
        record(principal, "user.created", "user", user.id, {"email": email, "role": role})
    return user


def resolve_user_id(principal: Principal, user_id: str) -> str:
    """`me` stands for the caller."""
    return principal.user_id if user_id == "me" else user_id


def update_user(principal: Principal, user_id: str, changes: dict[str, Any]) -> User:
    """Admins edit anyone of their company; a user edits their own name and avatar (403 else)."""
    with transaction():
        user = get_scoped(User, resolve_user_id(principal, user_id), principal.company_id, "user")
        if not principal.is_admin:
            if user.id != principal.user_id:
                raise Forbidden("only an admin may edit another user")
            refused = sorted(set(changes) - SELF_EDITABLE)
            if refused:
                raise Forbidden(f"only an admin may change {', '.join(refused)}",
                                details={"fields": refused})
        if changes.get("channel_ids"):
            _check_channels(principal.company_id, changes["channel_ids"])
        if user.role == "admin" and user.is_active and (
                changes.get("role", "admin") != "admin" or changes.get("is_active") is False):
            _keep_one_admin(principal.company_id, user.id)
        if changes:
            User.update(**changes).where(User.id == user.id).execute()
        if principal.is_admin and changes:
            record(principal, "user.updated", "user", user.id, dict(changes))
        user = User.get_by_id(user.id)
    return user


def set_status(principal: Principal, user_id: str, status: str) -> User:
    """Presence status of oneself (or anyone, for an admin); publishes a `presence` event."""
    with transaction():
        user = get_scoped(User, resolve_user_id(principal, user_id), principal.company_id, "user")
        if user.id != principal.user_id and not principal.is_admin:
            raise Forbidden("only an admin may set another user's status")
        now = utcnow()
        User.update(status=status, last_active=now).where(User.id == user.id).execute()
        if user.id != principal.user_id:
            record(principal, "user.status_set", "user", user.id, {"status": status})
        hidden = not user_settings(user)["privacy"].get("showStatus", True)
        publish_after_commit(principal.company_id, "presence",
                             {"userId": user.id, "status": "offline" if hidden else status,
                              "lastActive": now.isoformat(timespec="milliseconds") + "Z"})
        user = User.get_by_id(user.id)
    return user


def update_settings(principal: Principal, values: dict[str, Any]) -> dict[str, Any]:
    """Merge validated UserSettings parts into the caller's; the full settings after."""
    with transaction():
        user = get_scoped(User, principal.user_id, principal.company_id, "user")
        stored = merged(user_settings(user), values)
        # Keep only keys the hub knows, so stale keys of old versions do not linger.
        stored = {k: stored[k] for k in DEFAULT_USER_SETTINGS}
        User.update(settings=stored).where(User.id == user.id).execute()
    return stored


def shown_status(principal: Principal, user: User) -> str:
    """The status others see: `offline` when the user's privacy hides it (they see their own)."""
    if user.id != principal.user_id and not user_settings(user)["privacy"].get("showStatus", True):
        return "offline"
    return user.status


def present(principal: Principal, user: User) -> User:
    """The row as the caller may see it (status masked by the owner's privacy setting)."""
    user.status = shown_status(principal, user)
    return user


def _check_channels(company_id: str, channel_ids: list[str]) -> None:
    """400 unless every id is a live channel of the company (a foreign id is just unknown)."""
    wanted = set(channel_ids)
    found = {c.id for c in scoped(Channel, company_id).where(
        (Channel.id.in_(list(wanted))) & (Channel.deleted_at.is_null()))}
    unknown = sorted(wanted - found)
    if unknown:
        raise ValidationError("the request is not valid",
                              details={"channelIds": [f"unknown channel: {c}" for c in unknown]})


def _keep_one_admin(company_id: str, leaving_admin_id: str) -> None:
    """409 when the change would leave the company without an active admin."""
    others = scoped(User, company_id).where((User.role == "admin") & (User.is_active == True)  # noqa: E712
                                            & (User.id != leaving_admin_id)).count()
    if others == 0:
        raise Conflict("the company needs at least one active admin", code="last_admin")

