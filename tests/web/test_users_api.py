"""`/api/users`: admin edits, own profile edits, presence status and the caller's settings."""
import pytest

from hub import db as hubdb
from hub.models import AuditLog, User
from tests.web.crm_helpers import error_of, events_of, make_channel

USER_KEYS = {"id", "name", "email", "role", "avatar", "companyId", "status", "lastActive"}


def fresh(user_id):
    with hubdb.db.connection_context():
        return User.get_by_id(user_id)


def test_admin_edits_every_field_and_it_is_audited(client, tenant):
    agent, _ = tenant.add_user("support")
    channel = make_channel(tenant)
    response = client.put(f"/api/users/{agent.id}", headers=tenant.headers, json={
        "name": "Renamed", "role": "admin", "avatar": "https://cdn.test/a.png",
        "maxOpenConversations": 5, "channelIds": [channel.id], "isActive": True})
    assert response.status_code == 200
    body = response.get_json()
    assert USER_KEYS <= set(body)
    assert (body["name"], body["role"], body["avatar"]) == ("Renamed", "admin",
                                                           "https://cdn.test/a.png")
    assert body["companyId"] == tenant.company.id and "passwordHash" not in body
    row = fresh(agent.id)
    assert (row.max_open_conversations, row.channel_ids) == (5, [channel.id])
    with hubdb.db.connection_context():
        entry = AuditLog.get(AuditLog.action == "user.updated")
    assert entry.target_id == agent.id and entry.details["role"] == "admin"


def test_user_edits_own_name_and_avatar_only(client, tenant):
    agent, headers = tenant.add_user("support")
    ok = client.put(f"/api/users/{agent.id}", headers=headers, json={"name": "Me Myself"})
    assert ok.status_code == 200 and ok.get_json()["name"] == "Me Myself"
    also_me = client.put("/api/users/me", headers=headers, json={"avatar": None})
    assert also_me.status_code == 200
    escalate = client.put(f"/api/users/{agent.id}", headers=headers, json={"role": "admin"})
    assert escalate.status_code == 403 and error_of(escalate) == "forbidden"
    assert fresh(agent.id).role == "support"


def test_non_admin_may_not_edit_someone_else(client, tenant):
    agent, headers = tenant.add_user("support")
    response = client.put(f"/api/users/{tenant.admin.id}", headers=headers, json={"name": "X"})
    assert response.status_code == 403
    assert fresh(tenant.admin.id).name != "X"


@pytest.mark.parametrize("body, field", [
    ({"role": "owner"}, "role"),
    ({"name": ""}, "name"),
    ({"maxOpenConversations": -1}, "maxOpenConversations"),
    ({"isActive": "maybe"}, "isActive"),
    ({"email": "x@y.test"}, "email"),  # not editable: unknown field
])
def test_invalid_edits_are_400_with_field_errors(client, tenant, body, field):
    agent, _ = tenant.add_user("support")
    response = client.put(f"/api/users/{agent.id}", headers=tenant.headers, json=body)
    assert response.status_code == 400 and error_of(response) == "validation_error"
    assert field in response.get_json()["error"]["details"]


def test_channel_ids_must_be_the_companys(client, tenant, other_tenant):
    agent, _ = tenant.add_user("support")
    foreign = make_channel(other_tenant)
    response = client.put(f"/api/users/{agent.id}", headers=tenant.headers,
                          json={"channelIds": [foreign.id]})
    assert response.status_code == 400
    assert "channelIds" in response.get_json()["error"]["details"]
    assert fresh(agent.id).channel_ids is None


def test_last_admin_cannot_be_demoted_or_deactivated(client, tenant):
    for body in ({"role": "support"}, {"isActive": False}):
        response = client.put(f"/api/users/{tenant.admin.id}", headers=tenant.headers, json=body)
        assert response.status_code == 409 and error_of(response) == "last_admin"
    assert fresh(tenant.admin.id).role == "admin"
    second, _ = tenant.add_user("admin")
    demoted = client.put(f"/api/users/{second.id}", headers=tenant.headers,
                         json={"isActive": False})
    assert demoted.status_code == 200


def test_deactivated_user_loses_access(client, tenant):
    agent, headers = tenant.add_user("support")
    assert client.put(f"/api/users/{agent.id}", headers=tenant.headers,
                      json={"isActive": False}).status_code == 200
    assert client.get("/api/users", headers=headers).status_code == 401


def test_unknown_user_is_404_and_no_token_is_401(client, tenant):
    assert client.put("/api/users/nope", headers=tenant.headers,
                      json={"name": "X"}).status_code == 404
    assert client.put(f"/api/users/{tenant.admin.id}", json={"name": "X"}).status_code == 401


def test_status_sets_last_active_and_publishes_presence(client, tenant):
    agent, headers = tenant.add_user("support")
    response = client.put(f"/api/users/{agent.id}/status", headers=headers,
                          json={"status": "away"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "away" and body["lastActive"]
    assert fresh(agent.id).last_active is not None
    (event,) = events_of(tenant.company.id, "presence")
    assert event["data"]["userId"] == agent.id and event["data"]["status"] == "away"


def test_status_of_someone_else_needs_admin(client, tenant):
    agent, headers = tenant.add_user("support")
    other, _ = tenant.add_user("support")
    denied = client.put(f"/api/users/{other.id}/status", headers=headers,
                        json={"status": "online"})
    assert denied.status_code == 403 and fresh(other.id).status == "offline"
    assert events_of(tenant.company.id, "presence") == []
    by_admin = client.put(f"/api/users/{other.id}/status", headers=tenant.headers,
                          json={"status": "online"})
    assert by_admin.status_code == 200 and fresh(other.id).status == "online"


@pytest.mark.parametrize("body", [{"status": "busy"}, {}, {"status": None}])
def test_bad_status_is_400(client, tenant, body):
    response = client.put(f"/api/users/{tenant.admin.id}/status", headers=tenant.headers,
                          json=body)
    assert response.status_code == 400 and "status" in response.get_json()["error"]["details"]


def test_settings_default_then_merge(client, tenant):
    _, headers = tenant.add_user("user")
    initial = client.get("/api/users/me/settings", headers=headers)
    assert initial.status_code == 200
    assert initial.get_json() == {"theme": "system",
                                  "notifications": {"email": True, "desktop": True, "sound": True},
                                  "privacy": {"showStatus": True, "readReceipts": True}}
    changed = client.put("/api/users/me/settings", headers=headers, json={
        "theme": "dark", "notifications": {"sound": False}, "privacy": {"readReceipts": False}})
    assert changed.status_code == 200
    expected = {"theme": "dark", "notifications": {"email": True, "desktop": True, "sound": False},
                "privacy": {"showStatus": True, "readReceipts": False}}
    assert changed.get_json() == expected
    assert client.get("/api/users/me/settings", headers=headers).get_json() == expected


@pytest.mark.parametrize("body, field", [
    ({"theme": "neon"}, "theme"),
    ({"notifications": {"email": "yes please"}}, "notifications"),
    ({"privacy": {"showEverything": True}}, "privacy"),
    ({"layout": "compact"}, "layout"),
])
def test_bad_settings_are_400_and_nothing_changes(client, tenant, body, field):
    response = client.put("/api/users/me/settings", headers=tenant.headers, json=body)
    assert response.status_code == 400 and field in response.get_json()["error"]["details"]
    assert fresh(tenant.admin.id).settings == {}


def test_settings_need_a_token(client):
    assert client.get("/api/users/me/settings").status_code == 401
    assert client.put("/api/users/me/settings", json={"theme": "dark"}).status_code == 401


def test_hidden_status_shows_offline_to_others(client, tenant):
    agent, headers = tenant.add_user("support")
    client.put("/api/users/me/settings", headers=headers, json={"privacy": {"showStatus": False}})
    client.put(f"/api/users/{agent.id}/status", headers=headers, json={"status": "online"})
    assert fresh(agent.id).status == "online"
    seen = {u["id"]: u["status"] for u in client.get("/api/users", headers=tenant.headers).get_json()}
    assert seen[agent.id] == "offline"
    assert client.get(f"/api/users/{agent.id}", headers=headers).get_json()["status"] == "online"
    (event,) = events_of(tenant.company.id, "presence")
    assert event["data"]["status"] == "offline"
