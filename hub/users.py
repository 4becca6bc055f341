"""Users: creation by an admin, with an audit entry."""
from __future__ import annotations

from hub.audit import record
from hub.auth import Principal, hash_password
from hub.db import transaction
from hub.errors import Conflict
from hub.models import User


def create_user(principal: Principal, *, email: str, name: str, password: str,
                role: str = "support", **fields) -> User:
    principal.require_role("admin")
    email = email.strip().lower()
    with transaction():
        if User.select().where(User.email == email).exists():
            raise Conflict("a user with this email already exists", code="email_taken")
        user = User.create(company=principal.company_id, email=email, name=name, role=role,
                           password_hash=hash_password(password), settings={}, **fields)
        record(principal, "user.created", "user", user.id, {"email": email, "role": role})
    return user
