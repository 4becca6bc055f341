"""Tenant isolation of the CRM API: another company's ids answer 404 and change nothing.

Each route of the table is called by company A's admin with company B's ids; the whole content
of the tables those routes write is compared before and after.
"""
import json

import pytest

from hub import db as hubdb
from hub.models import (AuditLog, CannedResponse, ClientNote, Company, Contact, Notification,
                        Quote, User)
from hub.notifications import notify
from tests.web.crm_helpers import error_of, make_contact

WRITTEN_TABLES = (User, Company, Notification, Contact, ClientNote, Quote, CannedResponse,
                  AuditLog)

# (method, path with {placeholders}, JSON body); `b_*` ids belong to the other company.
ROUTES = [
    ("GET", "/api/users/{b_user}", None),
    ("PUT", "/api/users/{b_user}", {"name": "Taken over"}),
    ("PUT", "/api/users/{b_user}/status", {"status": "online"}),
    ("PUT", "/api/notifications/{b_notification}/read", None),
    ("GET", "/api/companies/{b_company}", None),
    ("PUT", "/api/companies/{b_company}", {"name": "Taken over"}),
    ("PUT", "/api/companies/{b_company}/settings", {"visibility": "assigned"}),
    ("GET", "/api/contacts/{b_contact}", None),
    ("PUT", "/api/contacts/{b_contact}", {"tags": ["stolen"]}),
    ("POST", "/api/contacts/{b_contact}/convert", {"firstName": "Taken"}),
    ("GET", "/api/contacts/{b_contact}/notes", None),
    ("POST", "/api/contacts/{b_contact}/notes", {"content": "planted"}),
    ("DELETE", "/api/contacts/{b_contact}/notes/{b_note}", None),
    ("DELETE", "/api/contacts/{a_contact}/notes/{b_note}", None),
    ("GET", "/api/contacts/{b_contact}/quotes", None),
    ("POST", "/api/contacts/{b_contact}/quotes", {"title": "t", "amount": 1}),
    ("PUT", "/api/contacts/{b_contact}/quotes/{b_quote}", {"status": "accepted"}),
    ("PUT", "/api/contacts/{a_contact}/quotes/{b_quote}", {"status": "accepted"}),
    ("PUT", "/api/canned-responses/{b_canned}", {"content": "changed"}),
    ("DELETE", "/api/canned-responses/{b_canned}", None),
]


@pytest.fixture
def world(client, tenant, other_tenant):
    """Company B with one row of everything; company A with a contact of its own."""
    b_user, b_headers = other_tenant.add_user("support")
    b_contact = make_contact(other_tenant)
    note = client.post(f"/api/contacts/{b_contact.id}/notes", headers=b_headers,
                       json={"content": "B's note"}).get_json()
    quote = client.post(f"/api/contacts/{b_contact.id}/quotes", headers=b_headers,
                        json={"title": "B's quote", "amount": 10}).get_json()
    canned = client.post("/api/canned-responses", headers=b_headers,
                         json={"shortcut": "b", "content": "B's answer"}).get_json()
    with hubdb.db.connection_context():
        notification = notify(b_user.id, "B's notification")
    return {"b_user": b_user.id, "b_company": other_tenant.company.id,
            "b_contact": b_contact.id, "b_note": note["id"], "b_quote": quote["id"],
            "b_canned": canned["id"], "b_notification": notification.id,
            "a_contact": make_contact(tenant, external_id="a-1", name="A's").id,
            "b_headers": b_headers}


def snapshot() -> dict[str, list]:
    with hubdb.db.connection_context():
        return {m.__name__: json.loads(json.dumps(list(m.select().order_by(m.id).dicts()),
                                                  default=str))
                for m in WRITTEN_TABLES}


@pytest.mark.parametrize("method, path, body", ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_foreign_ids_are_404_and_change_nothing(client, tenant, world, method, path, body):
    before = snapshot()
    response = client.open(path.format(**world), method=method, headers=tenant.headers,
                           json=body)
    assert response.status_code == 404, response.get_json()
    assert error_of(response) == "not_found"
    assert snapshot() == before


def test_route_table_covers_every_crm_route_with_an_id(app):
    """A new CRM route taking an id must join the table above."""
    covered = {(m, p.replace("{a_", "{").replace("{b_", "{")) for m, p, _ in ROUTES}
    prefixes = ("/api/users/", "/api/notifications/", "/api/companies/", "/api/contacts/",
                "/api/canned-responses/")
    missing, checked = [], 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefixes) or not rule.arguments or "/me/" in rule.rule:
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            path = rule.rule
            for arg in rule.arguments:
                short = arg.replace("_id", "").replace("noteId", "note")
                path = path.replace(f"<{arg}>", "{" + short + "}")
            checked += 1
            if (method, path) not in covered:
                missing.append((method, rule.rule))
    assert missing == [] and checked == len(covered)


def test_lists_show_only_the_callers_company(client, tenant, world):
    b_ids = {v for k, v in world.items() if k.startswith("b_") and isinstance(v, str)}
    for url in ("/api/users", "/api/contacts", "/api/canned-responses", "/api/notifications",
                "/api/audit-logs", "/api/companies"):
        response = client.get(url, headers=tenant.headers)
        assert response.status_code == 200
        assert not b_ids & set(json.dumps(response.get_json()).replace('"', " ").split()), url
    search = client.get("/api/contacts?q=Jane", headers=tenant.headers).get_json()
    assert search["contacts"] == []


def test_read_all_leaves_other_companies_alone(client, tenant, world):
    before = snapshot()["Notification"]
    assert client.put("/api/notifications/read-all", headers=tenant.headers).status_code == 200
    assert snapshot()["Notification"] == before
