"""The caller's notifications: `/api/notifications`."""
from __future__ import annotations

from flask import jsonify

from hub import notifications as service
from hub.paging import page_info
from schemas.notifications import (NotificationPageSchema, NotificationQuerySchema,
                                   NotificationSchema, ReadAllResultSchema)
from web.api.blueprint import bp
from web.auth import current_principal
from web.loading import load_query
from web.openapi import doc


@bp.get("/notifications")
@doc(summary="The caller's notifications, newest first, with the unread count",
     tags=("notifications",), query=NotificationQuerySchema, response=NotificationPageSchema)
def list_notifications():
    principal = current_principal()
    query = load_query(NotificationQuerySchema())
    rows, total = service.list_for(principal, query["page"], query["limit"], query["unread"])
    return jsonify({"notifications": [service.notification_dict(r) for r in rows],
                    "unreadCount": service.unread_count(principal),
                    **page_info(total, query["page"], query["limit"])})


@bp.put("/notifications/read-all")
@doc(summary="Mark all the caller's notifications read", tags=("notifications",),
     response=ReadAllResultSchema)
def read_all_notifications():
    updated = service.mark_all_read(current_principal())
    return jsonify({"updated": updated, "unreadCount": 0})


@bp.put("/notifications/<notification_id>/read")
@doc(summary="Mark one notification read", tags=("notifications",),
     response=NotificationSchema, errors=(404,))
def read_notification(notification_id: str):
    row = service.mark_read(current_principal(), notification_id)
    return jsonify(service.notification_dict(row))
