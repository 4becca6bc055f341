"""Tenant isolation: every chat endpoint called with another company's ids answers 404 and
changes nothing."""
import io
import json

import pytest

from hub import db as hubdb
from hub.models import ALL_MODELS
from tests.web.chat_data import inbound, make_conversation, png_bytes

# (method, path template, JSON body or "multipart"); ids are the other company's.
ROUTES = [
    ("GET", "/api/chat/sessions/{session}", None),
    ("PUT", "/api/chat/sessions/{session}/close", None),
    ("PUT", "/api/chat/sessions/{closed}/reopen", None),
    ("PUT", "/api/chat/sessions/{session}/assign", {"agentId": "{agent}"}),
    ("PUT", "/api/chat/sessions/{session}/bot", {"enabled": True}),
    ("PUT", "/api/chat/sessions/{session}/tags", {"tags": ["x"]}),
    ("GET", "/api/chat/sessions/{session}/messages", None),
    ("GET", "/api/chat/sessions/{session}/messages?before={message}", None),
    ("POST", "/api/chat/sessions/{session}/messages", {"content": "intrusion"}),
    ("POST", "/api/chat/sessions/{session}/messages", "multipart"),
    ("PUT", "/api/chat/sessions/{session}/read", {"messageIds": ["{message}"]}),
    ("POST", "/api/chat/sessions/{session}/typing", {"isTyping": True}),
    ("GET", "/api/chat/attachments/{attachment}", None),
    ("GET", "/api/chat/attachments/{attachment}?thumbnail=1", None),
    ("GET", "/api/chats/{session}", None),
    ("POST", "/api/chats/{session}/messages", {"content": "intrusion"}),
    ("POST", "/api/chats/{session}/messages", "multipart"),
    ("PUT", "/api/messages/{message}/read", None),
]


@pytest.fixture
def foreign(client, other_tenant):
    """Another company's session, closed session, message, attachment and agent."""
    conversation = make_conversation(other_tenant.company.id)
    message = inbound(conversation, "their secret")
    uploaded = client.post(f"/api/chat/sessions/{conversation.id}/messages",
                           headers=other_tenant.headers, content_type="multipart/form-data",
                           data={"attachments[0]": (io.BytesIO(png_bytes()), "x.png")})
    closed = client.post("/api/chat/sessions", json={}, headers=other_tenant.headers).get_json()
    client.put(f"/api/chat/sessions/{closed['id']}/close", headers=other_tenant.headers)
    return {"session": conversation.id, "closed": closed["id"], "message": message.id,
            "attachment": uploaded.get_json()["attachments"][0]["id"],
            "agent": other_tenant.admin.id}


def snapshot() -> str:
    """Every row of every table, to prove a refused request changed nothing."""
    with hubdb.db.connection_context():
        return json.dumps({m.__name__: sorted(map(str, m.select().dicts())) for m in ALL_MODELS})


def fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize("method,path,body", ROUTES,
                         ids=[f"{m} {p}{' multipart' if b == 'multipart' else ''}"
                              for m, p, b in ROUTES])
def test_foreign_ids_are_404_and_change_nothing(client, tenant, foreign, method, path, body):
    before = snapshot()
    kwargs = {"headers": tenant.headers}
    if body == "multipart":
        kwargs.update(content_type="multipart/form-data",
                      data={"content": "x", "attachments[0]": (io.BytesIO(b"data"), "a.txt")})
    elif body is not None:
        kwargs["json"] = fill(body, foreign)
    response = client.open(fill(path, foreign), method=method, **kwargs)
    assert response.status_code == 404, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] in ("not_found",)
    assert snapshot() == before


def test_foreign_sessions_never_listed_or_found_by_search(client, tenant, foreign):
    for query in ("", "?q=secret", "?status=closed", f"?channel={foreign['session']}"):
        body = client.get(f"/api/chat/sessions{query}", headers=tenant.headers).get_json()
        assert body["sessions"] == [] and body["totalCount"] == 0
    assert client.get("/api/chats", headers=tenant.headers).get_json()["items"] == []
