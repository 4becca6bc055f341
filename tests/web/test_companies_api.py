"""`/api/companies`: the caller's company, its profile and validated settings."""
import pytest

from hub import db as hubdb
from hub.companies import company_settings
from hub.models import AuditLog, Company
from tests.web.crm_helpers import error_of

COMPANY_KEYS = {"id", "name", "industry", "size", "chatScore", "lastActive", "settings"}


def settings_of(company_id):
    with hubdb.db.connection_context():
        return company_settings(Company.get_by_id(company_id))


def test_list_holds_only_the_callers_company(client, tenant, other_tenant):
    _, headers = tenant.add_user("user")
    response = client.get("/api/companies", headers=headers)
    assert response.status_code == 200
    (company,) = response.get_json()
    assert set(company) == COMPANY_KEYS and company["id"] == tenant.company.id
    assert company["settings"]["chat"]["maxFileSize"] == 10 * 1024 * 1024
    assert company["settings"]["routing"] == {"rule": "round_robin"}


def test_get_own_and_404_for_any_other(client, tenant, other_tenant):
    own = client.get(f"/api/companies/{tenant.company.id}", headers=tenant.headers)
    assert own.status_code == 200 and own.get_json()["name"] == "Acme"
    foreign = client.get(f"/api/companies/{other_tenant.company.id}", headers=tenant.headers)
    assert foreign.status_code == 404 and error_of(foreign) == "not_found"
    assert client.get("/api/companies/nope", headers=tenant.headers).status_code == 404


def test_admin_edits_profile_and_it_is_audited(client, tenant):
    response = client.put(f"/api/companies/{tenant.company.id}", headers=tenant.headers,
                          json={"name": "Acme Corp", "industry": "Retail", "size": "50-200"})
    assert response.status_code == 200
    assert {k: response.get_json()[k] for k in ("name", "industry", "size")} == {
        "name": "Acme Corp", "industry": "Retail", "size": "50-200"}
    with hubdb.db.connection_context():
        assert AuditLog.get(AuditLog.action == "company.updated").details["name"] == "Acme Corp"


@pytest.mark.parametrize("role", ["support", "user"])
def test_non_admin_may_not_edit(client, tenant, role):
    _, headers = tenant.add_user(role)
    assert client.put(f"/api/companies/{tenant.company.id}", headers=headers,
                      json={"name": "Hijacked"}).status_code == 403
    assert client.put(f"/api/companies/{tenant.company.id}/settings", headers=headers,
                      json={"visibility": "assigned"}).status_code == 403
    with hubdb.db.connection_context():
        assert Company.get_by_id(tenant.company.id).name == "Acme"


@pytest.mark.parametrize("body, field", [({"name": ""}, "name"), ({"size": "x" * 51}, "size"),
                                         ({"chatScore": 99}, "chatScore")])
def test_bad_profile_is_400(client, tenant, body, field):
    response = client.put(f"/api/companies/{tenant.company.id}", headers=tenant.headers,
                          json=body)
    assert response.status_code == 400 and field in response.get_json()["error"]["details"]


def test_settings_merge_part_by_part(client, tenant):
    response = client.put(f"/api/companies/{tenant.company.id}/settings", headers=tenant.headers,
                          json={"theme": {"primary": "#0F0"}, "chat": {"fileSharing": False},
                                "routing": {"rule": "least_open"}, "visibility": "assigned",
                                "retentionDays": 365, "businessHours": {
                                    "timezone": "Europe/Paris", "days": [0, 1, 2, 3, 4],
                                    "start": "09:00", "end": "18:00"}})
    assert response.status_code == 200
    settings = response.get_json()["settings"]
    assert settings["theme"] == {"primary": "#0F0", "logo": None}
    assert settings["chat"] == {"autoResponse": False, "fileSharing": False,
                                "maxFileSize": 10 * 1024 * 1024}
    assert settings["routing"]["rule"] == "least_open" and settings["visibility"] == "assigned"
    assert settings_of(tenant.company.id) == settings
    cleared = client.put(f"/api/companies/{tenant.company.id}/settings", headers=tenant.headers,
                         json={"retentionDays": None, "businessHours": None})
    assert cleared.status_code == 200
    assert settings_of(tenant.company.id)["retentionDays"] is None
    assert settings_of(tenant.company.id)["chat"]["fileSharing"] is False


@pytest.mark.parametrize("body, field", [
    ({"theme": {"primary": "blue"}}, "theme"),
    ({"chat": {"maxFileSize": 0}}, "chat"),
    ({"chat": {"maxFileSize": 10**12}}, "chat"),  # above the hub's upload cap
    ({"chat": {"fileSharing": "sometimes"}}, "chat"),
    ({"routing": {"rule": "random"}}, "routing"),
    ({"visibility": "everyone"}, "visibility"),
    ({"retentionDays": 0}, "retentionDays"),
    ({"archiveAfterDays": -3}, "archiveAfterDays"),
    ({"businessHours": {"timezone": "Mars/Base", "days": [1], "start": "09:00",
                        "end": "17:00"}}, "businessHours"),
    ({"businessHours": {"timezone": "UTC", "days": [9], "start": "18:00",
                        "end": "09:00"}}, "businessHours"),
    ({"notifications": {"pager": True}}, "notifications"),
    ({"colour": "red"}, "colour"),
])
def test_bad_settings_are_400_and_nothing_changes(client, tenant, body, field):
    before = settings_of(tenant.company.id)
    response = client.put(f"/api/companies/{tenant.company.id}/settings",
                          headers=tenant.headers, json=body)
    assert response.status_code == 400 and error_of(response) == "validation_error"
    assert field in response.get_json()["error"]["details"]
    assert settings_of(tenant.company.id) == before


def test_max_file_size_bound_follows_the_hub_setting(client, tenant, settings):
    at_cap = client.put(f"/api/companies/{tenant.company.id}/settings", headers=tenant.headers,
                        json={"chat": {"maxFileSize": settings.max_upload_bytes}})
    assert at_cap.status_code == 200
    over = client.put(f"/api/companies/{tenant.company.id}/settings", headers=tenant.headers,
                      json={"chat": {"maxFileSize": settings.max_upload_bytes + 1}})
    assert over.status_code == 400


def test_companies_need_a_token(client, tenant):
    assert client.get("/api/companies").status_code == 401
    assert client.put(f"/api/companies/{tenant.company.id}", json={"name": "x"}).status_code == 401
