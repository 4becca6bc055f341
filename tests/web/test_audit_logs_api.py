"""`GET /api/audit-logs`: admins read their company's entries, filtered and paginated."""
from datetime import timedelta

import pytest

from hub import db as hubdb
from hub.models import AuditLog, utcnow
from schemas.audit import AuditLogSchema
from tests.web.crm_helpers import assert_shape, error_of


def test_admin_actions_are_listed_newest_first(client, tenant, other_tenant):
    agent, _ = tenant.add_user("support")
    client.put(f"/api/users/{agent.id}", headers=tenant.headers, json={"name": "Renamed"})
    client.put(f"/api/companies/{tenant.company.id}", headers=tenant.headers,
               json={"industry": "Retail"})
    client.put(f"/api/companies/{other_tenant.company.id}", headers=other_tenant.headers,
               json={"industry": "Secret"})
    response = client.get("/api/audit-logs", headers=tenant.headers)
    assert response.status_code == 200
    body = response.get_json()
    actions = [e["action"] for e in body["auditLogs"]]
    assert actions == ["company.updated", "user.updated", "company.created"]
    assert body["totalCount"] == 3
    entry = assert_shape(AuditLogSchema(), body["auditLogs"][0])
    assert entry["user"] == tenant.admin.email and entry["user_id"] == tenant.admin.id
    assert '"industry": "Retail"' in entry["details"] and entry["data"] == {"industry": "Retail"}


def test_filters_by_action_user_and_time(client, tenant):
    agent, agent_headers = tenant.add_user("support")
    client.post(f"/api/canned-responses", headers=agent_headers,
                json={"shortcut": "hi", "content": "Hi"})
    client.put(f"/api/users/{agent.id}", headers=tenant.headers, json={"name": "Renamed"})
    with hubdb.db.connection_context():
        AuditLog.update(created_at=utcnow() - timedelta(days=10)).where(
            AuditLog.action == "company.created").execute()

    def actions(query):
        response = client.get(f"/api/audit-logs?{query}", headers=tenant.headers)
        assert response.status_code == 200
        return [e["action"] for e in response.get_json()["auditLogs"]]

    assert actions("action=user.updated") == ["user.updated"]
    assert actions(f"userId={agent.id}") == ["canned_response.created"]
    since = (utcnow() - timedelta(days=1)).isoformat() + "Z"
    assert "company.created" not in actions(f"from={since}")
    until = (utcnow() - timedelta(days=5)).isoformat() + "Z"
    assert actions(f"to={until}") == ["company.created"]
    assert actions("limit=1&page=2") == ["canned_response.created"]


@pytest.mark.parametrize("query", ["from=yesterday", "limit=0", "page=-1",
                                   "from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z"])
def test_bad_filters_are_400(client, tenant, query):
    response = client.get(f"/api/audit-logs?{query}", headers=tenant.headers)
    assert response.status_code == 400 and error_of(response) == "validation_error"


@pytest.mark.parametrize("role", ["support", "user"])
def test_only_admins_read_the_log(client, tenant, role):
    _, headers = tenant.add_user(role)
    response = client.get("/api/audit-logs", headers=headers)
    assert response.status_code == 403 and error_of(response) == "forbidden"
    assert client.get("/api/audit-logs").status_code == 401
