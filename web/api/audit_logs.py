"""The company's audit log: `GET /api/audit-logs` (admins)."""
from __future__ import annotations

from flask import jsonify

from hub import audit_query
from hub.paging import page_info
from schemas.audit import AuditPageSchema, AuditQuerySchema
from web.api.blueprint import bp
from web.auth import current_principal, roles
from web.loading import load_query
from web.openapi import doc


@bp.get("/audit-logs")
@doc(summary="Audit log entries, newest first (admin)", tags=("audit",), query=AuditQuerySchema,
     response=AuditPageSchema, errors=(403,))
@roles("admin")
def list_audit_logs():
    query = load_query(AuditQuerySchema())
    page, limit = query.pop("page"), query.pop("limit")
    rows, total = audit_query.search(current_principal(), page=page, limit=limit, **query)
    return jsonify({"auditLogs": [audit_query.audit_dict(r) for r in rows],
                    **page_info(total, page, limit)})
