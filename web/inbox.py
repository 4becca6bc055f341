"""The agent inbox: one HTML shell per page, plain ES modules, a strict Content-Security-Policy.

The pages hold no data: the browser fetches everything from `/api/` with the agent's bearer
token and listens on `/ws`. So the views here only pick the shell and the page's module.
"""
from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request

bp = Blueprint("inbox", __name__, template_folder="templates", static_folder="static/inbox",
               static_url_path="/static/inbox")

# Admin pages: path segment -> (title, module under static/inbox/admin/).
ADMIN_PAGES = {
    "channels": "Channels",
    "widgets": "Widgets",
    "users": "Users",
    "canned-responses": "Canned responses",
    "deliveries": "Failed deliveries",
    "webhook-events": "Failed webhook events",
    "settings": "Company settings",
}

# Nothing inline, nothing from elsewhere: customer text can never become running script.
# Images come from blob: URLs (attachments fetched with the bearer token) and data: (logos).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
       "connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
       "form-action 'self'")


@bp.after_request
def security_headers(response: Response) -> Response:
    """CSP and friends on every inbox page and static file."""
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    if request.path.startswith("/static/inbox/"):
        # Modules change with deploys; revalidate instead of serving a stale app.
        response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/")
def index() -> Response:
    return redirect("/chat")


@bp.get("/login")
def login() -> str:
    return render_template("inbox/login.html", title="Sign in", module="login.js")


@bp.get("/chat")
@bp.get("/chat/<conversation_id>")
def chat(conversation_id: str | None = None) -> str:
    """The three-panel SPA; the module reads the conversation id from the URL itself."""
    return render_template("inbox/chat.html", title="Inbox", module="main.js", page="chat")


@bp.get("/admin")
def admin_index() -> Response:
    return redirect("/admin/channels")


@bp.get("/admin/<page>")
def admin(page: str):
    if page not in ADMIN_PAGES:
        return render_template("inbox/notfound.html", title="Not found"), 404
    return render_template("inbox/page.html", title=ADMIN_PAGES[page], page=f"admin-{page}",
                           module=f"admin/{page}.js", admin_pages=ADMIN_PAGES, current=page)


@bp.get("/dashboard")
def dashboard() -> str:
    return render_template("inbox/page.html", title="Dashboard", page="dashboard",
                           module="dashboard.js", admin_pages=ADMIN_PAGES, current="dashboard")
