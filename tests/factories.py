"""Fixtures that create companies, users and tokens through the real services."""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest

from hub import db as hubdb
from hub.auth import hash_password, issue_access_token
from hub.companies import create_company
from hub.models import Company, User

_counter = itertools.count(1)
PASSWORD = "correct horse battery staple"


@dataclass
class Tenant:
    """A company with its admin, and helpers to act as its users."""

    company: Company
    admin: User
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def add_user(self, role: str = "support", **fields) -> tuple[User, dict[str, str]]:
        n = next(_counter)
        with hubdb.db.connection_context():
            user = User.create(company=self.company, email=f"{role}{n}@{self.company.id}.test",
                               name=fields.pop("name", f"{role.title()} {n}"),
                               password_hash=hash_password(PASSWORD), role=role, **fields)
        return user, {"Authorization": f"Bearer {issue_access_token(user)}"}


def _make_tenant(name: str | None = None) -> Tenant:
    n = next(_counter)
    with hubdb.db.connection_context():
        company, admin = create_company(name or f"Company {n}", f"admin{n}@example.test",
                                        PASSWORD)
        token = issue_access_token(admin)
    return Tenant(company, admin, token)


@pytest.fixture
def make_tenant():
    return _make_tenant


@pytest.fixture
def tenant() -> Tenant:
    return _make_tenant("Acme")


@pytest.fixture
def other_tenant() -> Tenant:
    return _make_tenant("Globex")
