"""Authentication: passwords, JWT access tokens, hashed API tokens, and who is acting."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Optional

import jwt
from werkzeug.security import check_password_hash, generate_password_hash

from hub.errors import Forbidden, Unauthorized
from hub.models import ApiToken, User, utcnow
from hub.settings import get_settings

# Prefix that tells an API token from a JWT in the Authorization header.
API_TOKEN_PREFIX = "hub_"
ROLES = ("admin", "support", "user")
# A hash to compare against when the email is unknown, so timing does not reveal accounts.
_DUMMY_HASH = generate_password_hash("not-a-password")


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: a user of one company, by login or API token."""

    user_id: str
    company_id: str
    role: str
    via_api_token: bool = False

    def require_role(self, *roles: str) -> None:
        if self.role not in roles:
            raise Forbidden(f"this action needs the role {' or '.join(roles)}")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def authenticate(email: str, password: str) -> User:
    """The active user with these credentials, or Unauthorized (the same for every failure)."""
    user = User.get_or_none(User.email == email.strip().lower())
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        raise Unauthorized("invalid email or password", code="invalid_credentials")
    if not user.is_active or not check_password_hash(user.password_hash, password):
        raise Unauthorized("invalid email or password", code="invalid_credentials")
    return user


def issue_access_token(user: User) -> str:
    now = utcnow()
    claims = {
        "sub": user.id,
        "cid": user.company_id,
        "role": user.role,
        "iat": now,
        "exp": now + timedelta(seconds=get_settings().jwt_ttl_seconds),
    }
    return jwt.encode(claims, get_settings().secret_key, algorithm="HS256")


def create_api_token(user: User, name: str) -> tuple[ApiToken, str]:
    """A new API token; the plain value is returned once and never stored."""
    plain = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.create(company=user.company_id, user=user, name=name,
                          token_hash=_token_hash(plain), prefix=plain[:8])
    return row, plain


def _token_hash(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def principal_from_token(token: str) -> Principal:
    """Resolve a bearer token (JWT or API token) to a principal, or raise Unauthorized."""
    if not token:
        raise Unauthorized("missing bearer token", code="missing_token")
    if token.startswith(API_TOKEN_PREFIX):
        row = ApiToken.get_or_none(ApiToken.token_hash == _token_hash(token))
        if row is None or row.revoked_at is not None:
            raise Unauthorized("invalid API token", code="invalid_token")
        user = User.get_or_none(User.id == row.user_id)
        if user is None or not user.is_active:
            raise Unauthorized("invalid API token", code="invalid_token")
        return Principal(user.id, user.company_id, user.role, via_api_token=True)
    try:
        claims = jwt.decode(token, get_settings().secret_key, algorithms=["HS256"],
                            options={"require": ["exp", "sub", "cid"]})
    except jwt.ExpiredSignatureError:
        raise Unauthorized("the access token has expired", code="token_expired") from None
    except jwt.InvalidTokenError:
        raise Unauthorized("invalid access token", code="invalid_token") from None
    user = User.get_or_none(User.id == claims["sub"])
    if user is None or not user.is_active or user.company_id != claims["cid"]:
        raise Unauthorized("invalid access token", code="invalid_token")
    # The role is read fresh, so a demotion takes effect before the token expires.
    return Principal(user.id, user.company_id, user.role)


def token_from_header(header: Optional[str]) -> str:
    if not header:
        return ""
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""
