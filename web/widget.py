"""The website widget: `/widget.js`, the iframe page, the visitor API and socket.

Its admin page is part of the inbox (`/admin/widgets`, web/static/inbox/admin/widgets.js).
"""
from __future__ import annotations

import json

from flask import Blueprint, Response, render_template, request

from hub.widget_access import frame_ancestors, origin_allowed, public_widget, refuse
from hub.widgets import widget_settings
from hub.settings import get_settings

bp = Blueprint("widget", __name__)

# Seconds browsers may cache the loader; a changed type or position shows within this time.
LOADER_MAX_AGE = 60


def _referrer_origin() -> str | None:
    referrer = request.headers.get("Referer") or ""
    parts = referrer.split("/")
    return "/".join(parts[:3]) if len(parts) >= 3 and parts[0] in ("http:", "https:") else None


def _js(body: str, status: int = 200) -> Response:
    response = Response(body, status=status, mimetype="application/javascript")
    response.headers["Cache-Control"] = f"public, max-age={LOADER_MAX_AGE}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/widget.js")
def loader():
    """The snippet's script: an iframe of the chosen type, nothing else on the host page."""
    widget_id = request.args.get("id", "")
    try:
        widget = public_widget(widget_id)
    except Exception:
        return _js("console.warn('hub widget: unknown widget id');\n", 404)
    origin = _referrer_origin()
    if origin is not None and not origin_allowed(widget, origin):
        refuse(widget, origin, reason="loader")
        return _js("console.warn(" + json.dumps(
            f"hub widget: {origin} is not an authorized domain of this widget") + ");\n", 403)
    if widget.status != "active":
        return _js("/* hub widget: switched off */\n")
    settings = widget_settings(widget)
    config = {"id": widget.id, "type": widget.type, "hub": get_settings().public_url,
              "position": settings["position"], "color": settings["colors"]["primary"],
              "popupDelaySeconds": settings.get("popupDelaySeconds", 5)}
    return _js(render_template("widget/loader.js", config=config))


@bp.get("/widget/frame/<widget_id>")
def frame(widget_id: str):
    """The widget's UI, only frameable by the verified domains' pages."""
    widget = public_widget(widget_id)
    response = Response(render_template("widget/frame.html", widget_id=widget.id))
    response.headers["Content-Security-Policy"] = (
        f"frame-ancestors {frame_ancestors(widget)}; default-src 'self'; "
        "img-src 'self' data: blob:; connect-src 'self' ws: wss:; style-src 'self'; "
        "script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.after_app_request
def widget_cors(response: Response) -> Response:
    if request.path.startswith("/widget/api/"):
        from web.widget_guard import add_cors

        return add_cors(response)
    return response


from web import widget_api, widget_socket  # noqa: E402,F401  (routes on this blueprint)
