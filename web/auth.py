"""Who is calling: the bearer token of `/api/` requests, and role checks."""
from __future__ import annotations

from functools import wraps
from typing import Callable

from flask import g, request

from hub.auth import Principal, principal_from_token, token_from_header
from hub.errors import Unauthorized


def authenticate_request() -> Principal:
    """Resolve the request's bearer token (header, or `token` query for browsers' sockets)."""
    token = token_from_header(request.headers.get("Authorization"))
    principal = principal_from_token(token)
    g.principal = principal
    return principal


def current_principal() -> Principal:
    principal = getattr(g, "principal", None)
    if principal is None:
        raise Unauthorized("missing bearer token", code="missing_token")
    return principal


def public(view: Callable) -> Callable:
    """Mark an `/api/` view as reachable without a token (login only)."""
    view.is_public = True
    return view


def roles(*allowed: str) -> Callable:
    """Allow a view only to these roles (403 for the others)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            current_principal().require_role(*allowed)
            return view(*args, **kwargs)

        return wrapper

    return decorator
