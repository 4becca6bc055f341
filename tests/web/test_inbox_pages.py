"""The inbox's pages: shells served with a strict CSP, deep links, admin pages, no inline script."""
from __future__ import annotations

import re

import pytest

PAGES = ["/login", "/chat", "/chat/0123456789abcdef0123456789abcdef", "/dashboard",
         "/admin/channels", "/admin/widgets", "/admin/users", "/admin/canned-responses", "/admin/deliveries",
         "/admin/webhook-events", "/admin/settings"]


def test_root_redirects_to_the_inbox(client):
    resp = client.get("/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/chat")


@pytest.mark.parametrize("path", PAGES)
def test_pages_have_a_strict_csp_and_no_inline_script(client, path):
    resp = client.get(path)
    assert resp.status_code == 200
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    html = resp.get_data(as_text=True)
    # Every <script> loads a file; none carries code, none an event-handler attribute.
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert not re.search(r"\son[a-z]+=", html)


def test_widgets_admin_is_one_inbox_page(client):
    """One widgets admin: the inbox's page (layout, nav); the widget lane's own page is gone."""
    html = client.get("/admin/widgets").get_data(as_text=True)
    assert 'data-page="admin-widgets"' in html and "admin/widgets.js" in html
    assert re.search(r'<a href="/admin/channels"[^>]*>Channels</a>\s*<a href="/admin/widgets"', html)
    assert client.get("/static/widget/admin.js").status_code == 404
    assert [r.endpoint for r in client.application.url_map.iter_rules()
            if r.rule == "/admin/<page>" or r.rule == "/admin/widgets"] == ["inbox.admin"]


def test_unknown_admin_page_is_404(client):
    assert client.get("/admin/nothing-here").status_code == 404


@pytest.mark.parametrize("name", ["main.js", "api.js", "socket.js", "inbox.css",
                                  "admin/deliveries.js", "admin/widgets.js", "dashboard.js"])
def test_static_modules_are_served(client, name):
    resp = client.get(f"/static/inbox/{name}")
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-cache"


def test_no_module_writes_html_from_data(client):
    """Customer text must only reach the page as text: no innerHTML/outerHTML/insertAdjacentHTML."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "web" / "static" / "inbox"
    offenders = [str(p) for p in root.rglob("*.js")
                 if re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write",
                              p.read_text())]
    assert offenders == []
