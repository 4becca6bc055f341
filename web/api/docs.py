"""`GET /api/docs`: Swagger UI (vendored, no CDN) over `/api/openapi.json`."""
from __future__ import annotations

from flask import render_template

from web.api.blueprint import bp
from web.auth import public
from web.openapi import doc


@bp.get("/docs")
@public
@doc(summary="API documentation (Swagger UI)", tags=("docs",), content_type="text/html")
def api_docs():
    response = render_template("api_docs.html")
    return response, 200, {
        # Only our own scripts and styles; Swagger UI needs inline styles and data: images.
        "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                                   "img-src 'self' data:; frame-ancestors 'none'",
        "Content-Type": "text/html; charset=utf-8",
    }
