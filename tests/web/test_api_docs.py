"""The OpenAPI document covers every `/api` view, and `/api/docs` serves the vendored Swagger UI."""
import re

CHAT_PATHS = [
    "/api/chat/sessions", "/api/chat/sessions/{session_id}",
    "/api/chat/sessions/{session_id}/close", "/api/chat/sessions/{session_id}/reopen",
    "/api/chat/sessions/{session_id}/assign", "/api/chat/sessions/{session_id}/bot",
    "/api/chat/sessions/{session_id}/tags", "/api/chat/sessions/{session_id}/messages",
    "/api/chat/sessions/{session_id}/read", "/api/chat/sessions/{session_id}/typing",
    "/api/chat/attachments/{attachment_id}", "/api/chats", "/api/chats/{chat_id}",
    "/api/chats/{chat_id}/messages", "/api/messages/{message_id}/read", "/api/docs",
]


def test_every_api_view_is_documented(app):
    undocumented = [rule.rule for rule in app.url_map.iter_rules()
                    if rule.rule.startswith("/api/")
                    and not hasattr(app.view_functions[rule.endpoint], "openapi")
                    and rule.endpoint != "api.openapi_json"]
    assert undocumented == []


def test_openapi_lists_the_chat_api(client):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert set(CHAT_PATHS) <= set(spec["paths"])
    send = spec["paths"]["/api/chat/sessions/{session_id}/messages"]["post"]
    assert set(send["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert {"201", "400", "401", "403", "404", "409", "413", "422"} <= set(send["responses"])
    assert "security" not in spec["paths"]["/api/docs"]["get"]


def test_docs_page_is_public_and_uses_vendored_assets(client):
    page = client.get("/api/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "/api/openapi.json" in html and "cdn" not in html.lower()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(assets) == 3 and all(a.startswith("/static/") for a in assets)
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200 and len(response.data) > 100
    assert "script-src" not in page.headers["Content-Security-Policy"]  # default-src 'self'
    assert "'unsafe-inline'" not in page.headers["Content-Security-Policy"].split(
        "style-src")[0]
