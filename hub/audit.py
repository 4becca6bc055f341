"""The audit log: who did what, kept per company."""
from __future__ import annotations

from typing import Any, Optional

from hub.auth import Principal
from hub.models import AuditLog, User


def record(principal: Optional[Principal], action: str, target_type: str = "",
           target_id: str = "", details: Optional[dict[str, Any]] = None,
           company_id: Optional[str] = None) -> AuditLog:
    """Append an entry; `principal` None means the system (scheduler, CLI)."""
    actor = "system"
    if principal is not None:
        user = User.get_or_none(User.id == principal.user_id)
        actor = user.email if user else principal.user_id
    return AuditLog.create(company=company_id or principal.company_id,
                           user=principal.user_id if principal else None, actor=actor,
                           action=action, target_type=target_type, target_id=target_id,
                           details=details or {})
