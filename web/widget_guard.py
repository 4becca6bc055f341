"""Who may use a widget's visitor API and socket: origin checks, CORS, the visitor token."""
from __future__ import annotations

from typing import Optional
from urllib.parse import urlsplit

from flask import Response, g, request

from connectors.widget.tokens import TOKEN_HEADER, VisitorClaims
from hub.errors import Forbidden
from hub.models import Widget
from hub.settings import get_settings
from hub.widget_access import origin_allowed, public_widget, refuse
from hub.widget_visitors import claims_for

# The header by which the widget's own frame (served by the hub) names the page it is on.
HOST_HEADER = "X-Widget-Host"
CORS_HEADERS = f"Content-Type, {TOKEN_HEADER}, {HOST_HEADER}"


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def hub_origins() -> set[str]:
    return {_origin_of(get_settings().public_url), _origin_of(request.host_url)}


def embedding_origin() -> tuple[Optional[str], bool]:
    """(origin of the page the widget runs on, whether the request is cross-origin).

    Calls from a host page carry its Origin. Calls from the widget's frame come from the hub's
    own origin; the frame is only ever rendered inside verified pages (frame-ancestors), and
    names its page in a header (or `host` for sockets) that is checked the same way.
    """
    origin = request.headers.get("Origin")
    if origin and origin.rstrip("/").lower() not in hub_origins():
        return origin, True
    return request.headers.get(HOST_HEADER) or request.args.get("host"), False


def guard(widget_id: str, *, need_active: bool = True) -> tuple[Widget, Optional[str]]:
    """The widget, if the request comes from a page it may run on; 404/403 otherwise."""
    widget = public_widget(widget_id)
    origin, cross = embedding_origin()
    if not origin_allowed(widget, origin):
        raise refuse(widget, origin)
    if cross:
        g.widget_cors_origin = origin
    if need_active and widget.status != "active":
        raise Forbidden("this widget is switched off", code="widget_inactive")
    return widget, origin


def visitor(widget: Widget) -> tuple[VisitorClaims, str]:
    token = request.headers.get(TOKEN_HEADER) or request.args.get("token") or ""
    return claims_for(widget, token), token


def client_address() -> str:
    return (request.headers.get("X-Forwarded-For") or request.remote_addr or "").split(",")[0].strip()


def add_cors(response: Response) -> Response:
    """CORS for exactly the origin that passed the check (never a wildcard)."""
    origin = getattr(g, "widget_cors_origin", None)
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Max-Age"] = "600"
    response.headers.add("Vary", "Origin")
    return response
