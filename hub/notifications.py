"""Notifications of one user: created by other services, read and listed by their owner."""
from __future__ import annotations

from typing import Any, Optional

from hub.auth import Principal
from hub.db import transaction
from hub.errors import NotFound, ValidationError
from hub.models import Notification, User, utcnow
from hub.paging import paginate
from hub.realtime import publish_after_commit
from hub.scoping import scoped

TYPES = ("message", "alert", "update")


def notification_dict(n: Notification) -> dict[str, Any]:
    """The Notification of the documents, plus its link (REST and realtime share it)."""
    return {"id": n.id, "title": n.title, "message": n.message,
            "timestamp": n.created_at.isoformat(timespec="milliseconds") + "Z",
            "read": n.read, "type": n.type, "link": n.link}


def notify(user_id: str, title: str, message: str = "", type: str = "message",
           link: Optional[str] = None) -> Notification:
    """Create a notification for a user; `notification.created` goes out after the commit.

    Safe to call inside another service's transaction: the event waits for its commit.
    """
    if type not in TYPES:
        raise ValidationError(f"unknown notification type {type!r}")
    with transaction():
        user = User.get_or_none(User.id == user_id)
        if user is None:
            raise NotFound("user not found")
        row = Notification.create(company=user.company_id, user=user.id, title=title[:200],
                                  message=message, type=type, link=(link or None) and link[:500],
                                  created_at=utcnow())
        publish_after_commit(user.company_id, "notification.created", notification_dict(row),
                             audience={"userIds": [user.id]})
    return row


def _mine(principal: Principal):
    return scoped(Notification, principal.company_id).where(
        Notification.user == principal.user_id)


def unread_count(principal: Principal) -> int:
    return _mine(principal).where(Notification.read == False).count()  # noqa: E712


def list_for(principal: Principal, page: int, limit: int,
             unread_only: bool = False) -> tuple[list[Notification], int]:
    """The caller's notifications, newest first."""
    query = _mine(principal)
    if unread_only:
        query = query.where(Notification.read == False)  # noqa: E712
    query = query.order_by(Notification.created_at.desc(), Notification.id.desc())
    return paginate(query, page, limit)


def mark_read(principal: Principal, notification_id: str) -> Notification:
    """Mark one of the caller's notifications read; another user's is 404 like a foreign one."""
    if not notification_id or len(notification_id) > 64:
        raise NotFound("notification not found")
    row = _mine(principal).where(Notification.id == notification_id).first()
    if row is None:
        raise NotFound("notification not found")
    if not row.read:
        Notification.update(read=True).where(Notification.id == row.id).execute()
        row.read = True
    return row


def mark_all_read(principal: Principal) -> int:
    """Mark every unread notification of the caller read; how many changed."""
    return (Notification.update(read=True)
            .where((Notification.company == principal.company_id)
                   & (Notification.user == principal.user_id)
                   & (Notification.read == False))  # noqa: E712
            .execute())
