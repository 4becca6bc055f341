"""Company and user settings: their shape, defaults, and the first company of a new hub."""
from __future__ import annotations

import copy
import secrets
from typing import Any, Optional

from hub.auth import hash_password
from hub.db import transaction
from hub.models import AuditLog, Company, User

DEFAULT_COMPANY_SETTINGS: dict[str, Any] = {
    "theme": {"primary": "#2563eb", "logo": None},
    "notifications": {"email": True, "desktop": True, "sound": True},
    "chat": {"autoResponse": False, "fileSharing": True, "maxFileSize": 10 * 1024 * 1024},
    # Hub additions: routing, who sees what, archiving and retention.
    "routing": {"rule": "round_robin"},  # round_robin, least_open, manual
    "visibility": "all",  # all: support agents see every conversation; assigned: only theirs
    "archiveAfterDays": 30,
    "retentionDays": None,  # None keeps messages forever
    "businessHours": None,  # {"timezone": "Europe/Paris", "days": [0..6], "start": "09:00", "end": "18:00"}
}

DEFAULT_USER_SETTINGS: dict[str, Any] = {
    "theme": "system",
    "notifications": {"email": True, "desktop": True, "sound": True},
    "privacy": {"showStatus": True, "readReceipts": True},
}


def merged(defaults: dict[str, Any], values: Optional[dict[str, Any]]) -> dict[str, Any]:
    """Defaults overlaid with stored values, one level of nesting deep."""
    result = copy.deepcopy(defaults)
    for k, v in (values or {}).items():
        if isinstance(v, dict) and isinstance(result.get(k), dict):
            result[k] = {**result[k], **v}
        else:
            result[k] = v
    return result


def company_settings(company: Company) -> dict[str, Any]:
    return merged(DEFAULT_COMPANY_SETTINGS, company.settings)


def user_settings(user: User) -> dict[str, Any]:
    return merged(DEFAULT_USER_SETTINGS, user.settings)


def create_company(name: str, admin_email: str, admin_password: str,
                   admin_name: str = "Admin") -> tuple[Company, User]:
    with transaction():
        company = Company.create(name=name, settings={})
        admin = User.create(company=company, email=admin_email.strip().lower(), name=admin_name,
                            password_hash=hash_password(admin_password), role="admin",
                            settings={})
        AuditLog.create(company=company, user=admin, actor=admin.email,
                        action="company.created", target_type="company", target_id=company.id)
    return company, admin


def ensure_first_admin(email: Optional[str], password: Optional[str]) -> Optional[tuple[str, Optional[str]]]:
    """Create the first company and admin once; (email, generated password or None).

    Returns None when the hub already has users: the variables only seed an empty hub.
    """
    if User.select().exists():
        return None
    generated = None
    if not password:
        generated = password = secrets.token_urlsafe(12)
    email = email or "admin@example.com"
    create_company("My company", email, password)
    return email, generated
