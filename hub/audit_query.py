"""Reading the audit log: an admin's filtered, paginated view of their company's entries."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Optional

from hub.auth import Principal
from hub.models import AuditLog
from hub.paging import paginate
from hub.scoping import scoped


def audit_dict(row: AuditLog) -> dict[str, Any]:
    """The AuditLog of the documents (details as text) plus the structured parts."""
    return {"id": row.id, "user": row.actor, "userId": row.user_id, "action": row.action,
            "timestamp": row.created_at.isoformat(timespec="milliseconds") + "Z",
            "details": json.dumps(row.details or {}, sort_keys=True, default=str),
            "targetType": row.target_type, "targetId": row.target_id,
            "data": row.details or {}}


def search(principal: Principal, *, action: Optional[str] = None, user_id: Optional[str] = None,
           since: Optional[datetime] = None, until: Optional[datetime] = None,
           page: int = 1, limit: int = 50) -> tuple[list[AuditLog], int]:
    """Entries of the caller's company, newest first; admins only."""
    principal.require_role("admin")
    query = scoped(AuditLog, principal.company_id)
    if action:
        query = query.where(AuditLog.action == action)
    if user_id:
        query = query.where(AuditLog.user == user_id)
    if since:
        query = query.where(AuditLog.created_at >= since)
    if until:
        query = query.where(AuditLog.created_at < until)
    return paginate(query.order_by(AuditLog.created_at.desc(), AuditLog.id.desc()), page, limit)
