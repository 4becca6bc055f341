"""Company profile and settings edits by an admin, each recorded in the audit log."""
from __future__ import annotations

from typing import Any

from hub.audit import record
from hub.auth import Principal
from hub.companies import DEFAULT_COMPANY_SETTINGS, company_settings, merged
from hub.db import transaction
from hub.errors import NotFound
from hub.models import Company


def get_company(principal: Principal, company_id: str) -> Company:
    """The caller's own company; any other id is 404."""
    if company_id != principal.company_id:
        raise NotFound("company not found")
    company = Company.get_or_none(Company.id == principal.company_id)
    if company is None:
        raise NotFound("company not found")
    return company


def company_view(company: Company) -> dict[str, Any]:
    """The Company of the documents, with its settings merged over the defaults."""
    return {"id": company.id, "name": company.name, "industry": company.industry,
            "size": company.size, "chat_score": company.chat_score,
            "last_active": company.last_active, "settings": company_settings(company)}


def update_company(principal: Principal, company_id: str, changes: dict[str, Any]) -> Company:
    principal.require_role("admin")
    with transaction():
        company = get_company(principal, company_id)
        if changes:
            Company.update(**changes).where(Company.id == company.id).execute()
            record(principal, "company.updated", "company", company.id, dict(changes))
        return Company.get_by_id(company.id)


def update_settings(principal: Principal, company_id: str, values: dict[str, Any]) -> Company:
    """Merge validated settings parts into the company's (nested parts key by key)."""
    principal.require_role("admin")
    with transaction():
        company = get_company(principal, company_id)
        settings = merged(company_settings(company), values)
        settings = {k: settings[k] for k in DEFAULT_COMPANY_SETTINGS}
        Company.update(settings=settings).where(Company.id == company.id).execute()
        record(principal, "company.settings_updated", "company", company.id, values)
        return Company.get_by_id(company.id)
