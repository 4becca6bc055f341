"""The `/api` blueprint: every route needs a bearer token unless marked `@public`."""
from __future__ import annotations

from flask import Blueprint, current_app, request

from web.auth import authenticate_request

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.before_request
def require_token():
    view = current_app.view_functions.get(request.endpoint or "")
    if request.method == "OPTIONS" or getattr(view, "is_public", False):
        return None
    authenticate_request()
    return None
