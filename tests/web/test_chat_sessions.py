"""`/api/chat/sessions`: list, paging, create, close, reopen, assign, bot, tags, visibility."""
import pytest

from hub import db as hubdb
from hub.models import AuditLog, Company, Conversation
from tests.web.chat_data import at, inbound, make_conversation
from tests.web.test_auth import error_of


def create(client, headers, **body):
    response = client.post("/api/chat/sessions", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_create_session_defaults_and_shape(client, tenant):
    session = create(client, tenant.headers, subject="Billing", tags=["vip", "vip", " eu "])
    assert session["status"] == "active" and session["priority"] == "medium"
    assert session["userId"] == tenant.admin.id and session["agentId"] is None
    assert session["tags"] == ["vip", "eu"] and session["endedAt"] is None
    assert session["channel"] is None and session["contact"] is None
    assert session["unreadCount"] == 0 and session["startedAt"].endswith("Z")
    fetched = client.get(f"/api/chat/sessions/{session['id']}", headers=tenant.headers)
    assert fetched.status_code == 200 and fetched.get_json() == session


@pytest.mark.parametrize("body", [{"priority": "urgent"}, {"tags": "vip"}, {"subject": 3},
                                  {"unknown": 1}, {"tags": [""]}])
def test_create_session_rejects_bad_bodies(client, tenant, body):
    response = client.post("/api/chat/sessions", json=body, headers=tenant.headers)
    assert response.status_code == 400 and error_of(response) == "validation_error"


def test_list_includes_channel_contact_and_unread(client, tenant):
    conversation = make_conversation(tenant.company.id, kind="whatsapp", name="Ana",
                                     phone="+34600111222")
    inbound(conversation, "hola")
    inbound(conversation, "¿hay alguien?")
    body = client.get("/api/chat/sessions", headers=tenant.headers).get_json()
    assert body["totalCount"] == 1 and body["page"] == 1 and body["totalPages"] == 1
    (session,) = body["sessions"]
    assert session["channel"]["kind"] == "whatsapp" and session["platform"] == "whatsapp"
    assert session["contact"]["name"] == "Ana" and session["contact"]["phone"] == "+34600111222"
    assert session["unreadCount"] == 2 and session["lastMessage"] == "¿hay alguien?"


def test_list_pages_and_status_filter(client, tenant):
    ids = [create(client, tenant.headers, subject=f"s{i}")["id"] for i in range(5)]
    client.put(f"/api/chat/sessions/{ids[0]}/close", headers=tenant.headers)
    first = client.get("/api/chat/sessions?page=1&limit=2", headers=tenant.headers).get_json()
    third = client.get("/api/chat/sessions?page=3&limit=2", headers=tenant.headers).get_json()
    assert first["totalCount"] == 5 and first["totalPages"] == 3 and len(first["sessions"]) == 2
    assert len(third["sessions"]) == 1
    seen = {s["id"] for p in (1, 2, 3) for s in client.get(
        f"/api/chat/sessions?page={p}&limit=2", headers=tenant.headers).get_json()["sessions"]}
    assert seen == set(ids)
    closed = client.get("/api/chat/sessions?status=closed", headers=tenant.headers).get_json()
    assert [s["id"] for s in closed["sessions"]] == [ids[0]]
    active = client.get("/api/chat/sessions?status=active", headers=tenant.headers).get_json()
    assert active["totalCount"] == 4


@pytest.mark.parametrize("query", ["page=abc", "page=0", "limit=0", "limit=1000", "limit=x",
                                   "status=open", "nope=1"])
def test_list_bad_query_is_400(client, tenant, query):
    response = client.get(f"/api/chat/sessions?{query}", headers=tenant.headers)
    assert response.status_code == 400 and error_of(response) == "validation_error"


def test_get_unknown_session_is_404(client, tenant):
    response = client.get("/api/chat/sessions/" + "0" * 32, headers=tenant.headers)
    assert response.status_code == 404 and error_of(response) == "not_found"


def test_close_then_close_again_is_409_and_reopen(client, tenant):
    session = create(client, tenant.headers)
    closed = client.put(f"/api/chat/sessions/{session['id']}/close", headers=tenant.headers)
    assert closed.status_code == 200
    assert closed.get_json()["status"] == "closed" and closed.get_json()["endedAt"]
    again = client.put(f"/api/chat/sessions/{session['id']}/close", headers=tenant.headers)
    assert again.status_code == 409 and error_of(again) == "session_closed"
    reopened = client.put(f"/api/chat/sessions/{session['id']}/reopen", headers=tenant.headers)
    assert reopened.status_code == 200 and reopened.get_json()["status"] == "active"
    assert reopened.get_json()["endedAt"] is None and reopened.get_json()["reopenedAt"]
    twice = client.put(f"/api/chat/sessions/{session['id']}/reopen", headers=tenant.headers)
    assert twice.status_code == 409


def test_assign_statuses(client, tenant, other_tenant):
    agent, agent_headers = tenant.add_user("support")
    session = create(client, tenant.headers)
    url = f"/api/chat/sessions/{session['id']}/assign"
    missing = client.put(url, json={}, headers=tenant.headers)
    assert missing.status_code == 400 and "agentId" in missing.get_json()["error"]["details"]
    unknown = client.put(url, json={"agentId": "f" * 32}, headers=tenant.headers)
    assert unknown.status_code == 404 and error_of(unknown) == "agent_not_found"
    foreign = client.put(url, json={"agentId": other_tenant.admin.id}, headers=tenant.headers)
    assert foreign.status_code == 404
    forbidden = client.put(url, json={"agentId": agent.id}, headers=agent_headers)
    assert forbidden.status_code == 403
    ok = client.put(url, json={"agentId": agent.id}, headers=tenant.headers)
    assert ok.status_code == 200 and ok.get_json()["agentId"] == agent.id
    again = client.put(url, json={"agentId": agent.id}, headers=tenant.headers)
    assert again.status_code == 409 and error_of(again) == "already_assigned"
    client.put(f"/api/chat/sessions/{session['id']}/close", headers=tenant.headers)
    closed = client.put(url, json={"agentId": tenant.admin.id}, headers=tenant.headers)
    assert closed.status_code == 409 and error_of(closed) == "session_closed"
    with hubdb.db.connection_context():
        assert AuditLog.select().where(AuditLog.action == "conversation.assigned").count() == 1


def test_bot_and_tags(client, tenant):
    session = create(client, tenant.headers)
    on = client.put(f"/api/chat/sessions/{session['id']}/bot", json={"enabled": True},
                    headers=tenant.headers)
    assert on.status_code == 200 and on.get_json()["botEnabled"] is True
    off = client.put(f"/api/chat/sessions/{session['id']}/bot", json={"enabled": False},
                     headers=tenant.headers)
    assert off.get_json()["botEnabled"] is False
    with hubdb.db.connection_context():
        assert Conversation.get_by_id(session["id"]).bot_handoff_at is not None
    bad = client.put(f"/api/chat/sessions/{session['id']}/bot", json={"enabled": "maybe"},
                     headers=tenant.headers)
    assert bad.status_code == 400
    tags = client.put(f"/api/chat/sessions/{session['id']}/tags", json={"tags": ["a", "b"]},
                      headers=tenant.headers)
    assert tags.status_code == 200 and tags.get_json()["tags"] == ["a", "b"]
    assert client.put(f"/api/chat/sessions/{session['id']}/tags", json={},
                      headers=tenant.headers).status_code == 400


def test_user_role_sees_only_own_sessions_and_cannot_run_agent_actions(client, tenant):
    _, user_headers = tenant.add_user("user")
    mine = create(client, user_headers, subject="mine")
    create(client, tenant.headers, subject="admin's")
    listed = client.get("/api/chat/sessions", headers=user_headers).get_json()
    assert [s["id"] for s in listed["sessions"]] == [mine["id"]]
    for action, body in (("reopen", None), ("bot", {"enabled": True}), ("tags", {"tags": []}),
                         ("assign", {"agentId": tenant.admin.id})):
        response = client.put(f"/api/chat/sessions/{mine['id']}/{action}", json=body,
                              headers=user_headers)
        assert response.status_code == 403, action


def test_support_visibility_follows_company_setting(client, tenant):
    agent, agent_headers = tenant.add_user("support")
    theirs = make_conversation(tenant.company.id)
    other = make_conversation(tenant.company.id, name="Other")
    assert client.get("/api/chat/sessions", headers=agent_headers).get_json()["totalCount"] == 2
    with hubdb.db.connection_context():
        Company.update(settings={"visibility": "assigned"}).where(
            Company.id == tenant.company.id).execute()
    client.put(f"/api/chat/sessions/{theirs.id}/assign", json={"agentId": agent.id},
               headers=tenant.headers)
    listed = client.get("/api/chat/sessions", headers=agent_headers).get_json()
    assert [s["id"] for s in listed["sessions"]] == [theirs.id]
    assert client.get(f"/api/chat/sessions/{other.id}", headers=agent_headers).status_code == 404


def test_list_orders_by_latest_activity(client, tenant):
    old = make_conversation(tenant.company.id, name="Old")
    new = make_conversation(tenant.company.id, name="New")
    inbound(new, "first", at(1))
    inbound(old, "later", at(5))
    listed = client.get("/api/chat/sessions", headers=tenant.headers).get_json()["sessions"]
    assert [s["id"] for s in listed] == [old.id, new.id]
