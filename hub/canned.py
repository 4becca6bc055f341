"""Canned responses: shortcuts agents type to insert a saved answer, unique per company."""
from __future__ import annotations

from typing import Any, Optional

import peewee

from hub.audit import record
from hub.auth import Principal
from hub.db import transaction
from hub.errors import Conflict
from hub.models import CannedResponse
from hub.paging import istartswith
from hub.scoping import get_scoped, scoped

# Roles that use and manage canned responses.
CANNED_ROLES = ("admin", "support")


def canned_dict(row: CannedResponse) -> dict[str, Any]:
    return {"id": row.id, "shortcut": row.shortcut, "title": row.title, "content": row.content,
            "createdBy": row.created_by_id,
            "createdAt": row.created_at.isoformat(timespec="milliseconds") + "Z"}


def list_canned(principal: Principal, prefix: Optional[str] = None) -> list[CannedResponse]:
    """The company's canned responses by shortcut; `prefix` narrows to shortcuts starting so."""
    principal.require_role(*CANNED_ROLES)
    query = scoped(CannedResponse, principal.company_id)
    if prefix:
        query = query.where(istartswith(CannedResponse.shortcut, prefix))
    return list(query.order_by(CannedResponse.shortcut))


def create_canned(principal: Principal, fields: dict[str, Any]) -> CannedResponse:
    principal.require_role(*CANNED_ROLES)
    try:
        with transaction():
            row = CannedResponse.create(company=principal.company_id,
                                        created_by=principal.user_id, **fields)
            record(principal, "canned_response.created", "canned_response", row.id,
                   {"shortcut": row.shortcut})
    except peewee.IntegrityError:
        raise _taken(fields["shortcut"]) from None
    return row


def update_canned(principal: Principal, canned_id: str, changes: dict[str, Any]) -> CannedResponse:
    principal.require_role(*CANNED_ROLES)
    try:
        with transaction():
            row = get_scoped(CannedResponse, canned_id, principal.company_id, "canned response")
            if changes:
                CannedResponse.update(**changes).where(CannedResponse.id == row.id).execute()
                record(principal, "canned_response.updated", "canned_response", row.id,
                       {"fields": sorted(changes)})
    except peewee.IntegrityError:
        raise _taken(changes["shortcut"]) from None
    return CannedResponse.get_by_id(row.id)


def delete_canned(principal: Principal, canned_id: str) -> None:
    principal.require_role(*CANNED_ROLES)
    with transaction():
        row = get_scoped(CannedResponse, canned_id, principal.company_id, "canned response")
        CannedResponse.delete().where(CannedResponse.id == row.id).execute()
        record(principal, "canned_response.deleted", "canned_response", row.id,
               {"shortcut": row.shortcut})


def _taken(shortcut: str) -> Conflict:
    return Conflict(f"the shortcut {shortcut!r} is already used", code="shortcut_taken")
