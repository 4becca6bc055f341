"""`/api/canned-responses`: prefix search, unique shortcuts per company, roles."""
import pytest

from hub import db as hubdb
from hub.models import AuditLog, CannedResponse
from schemas.canned import CannedSchema
from tests.web.crm_helpers import assert_shape, error_of

URL = "/api/canned-responses"


def create(client, headers, shortcut, content="Hello!", **extra):
    return client.post(URL, headers=headers, json={"shortcut": shortcut, "content": content,
                                                   **extra})


def test_create_list_and_prefix_search(client, tenant):
    _, agent = tenant.add_user("support")
    response = create(client, agent, "greet", "Hello, how can I help?", title="Greeting")
    assert response.status_code == 201
    assert_shape(CannedSchema(), response.get_json())
    create(client, agent, "greet_fr", "Bonjour !")
    create(client, agent, "bye", "Goodbye")
    create(client, agent, "g_e", "underscore")
    listed = client.get(URL, headers=agent).get_json()
    assert [c["shortcut"] for c in listed] == ["bye", "g_e", "greet", "greet_fr"]
    assert [c["shortcut"] for c in client.get(f"{URL}?q=GREET", headers=agent).get_json()] == [
        "greet", "greet_fr"]
    # The underscore is a literal, not a LIKE wildcard.
    assert [c["shortcut"] for c in client.get(f"{URL}?q=g_", headers=agent).get_json()] == [
        "g_e"]


def test_duplicate_shortcut_is_409_but_other_companies_may_use_it(client, tenant, other_tenant):
    assert create(client, tenant.headers, "greet").status_code == 201
    duplicate = create(client, tenant.headers, "greet", "again")
    assert duplicate.status_code == 409 and error_of(duplicate) == "shortcut_taken"
    assert create(client, other_tenant.headers, "greet").status_code == 201
    with hubdb.db.connection_context():
        assert CannedResponse.select().count() == 2


def test_update_and_delete(client, tenant):
    greet = create(client, tenant.headers, "greet").get_json()
    bye = create(client, tenant.headers, "bye").get_json()
    updated = client.put(f"{URL}/{greet['id']}", headers=tenant.headers,
                         json={"content": "Hi there", "shortcut": "hi"})
    assert updated.status_code == 200
    assert (updated.get_json()["shortcut"], updated.get_json()["content"]) == ("hi", "Hi there")
    clash = client.put(f"{URL}/{bye['id']}", headers=tenant.headers, json={"shortcut": "hi"})
    assert clash.status_code == 409
    assert client.delete(f"{URL}/{bye['id']}", headers=tenant.headers).status_code == 204
    assert client.delete(f"{URL}/{bye['id']}", headers=tenant.headers).status_code == 404
    assert client.put(f"{URL}/{bye['id']}", headers=tenant.headers,
                      json={"content": "x"}).status_code == 404
    with hubdb.db.connection_context():
        assert [c.shortcut for c in CannedResponse.select()] == ["hi"]
        actions = [a.action for a in AuditLog.select().where(
            AuditLog.action.startswith("canned_response.")).order_by(AuditLog.created_at)]
    assert actions.count("canned_response.deleted") == 1


@pytest.mark.parametrize("body, field", [
    ({"content": "x"}, "shortcut"), ({"shortcut": "has space", "content": "x"}, "shortcut"),
    ({"shortcut": "x" * 65, "content": "x"}, "shortcut"), ({"shortcut": "ok"}, "content"),
    ({"shortcut": "ok", "content": ""}, "content"),
])
def test_bad_canned_response_is_400(client, tenant, body, field):
    response = client.post(URL, headers=tenant.headers, json=body)
    assert response.status_code == 400 and field in response.get_json()["error"]["details"]
    with hubdb.db.connection_context():
        assert CannedResponse.select().count() == 0


def test_user_role_is_403_and_no_token_401(client, tenant):
    greet = create(client, tenant.headers, "greet").get_json()
    _, user = tenant.add_user("user")
    assert client.get(URL, headers=user).status_code == 403
    assert create(client, user, "mine").status_code == 403
    assert client.put(f"{URL}/{greet['id']}", headers=user, json={"content": "x"}).status_code == 403
    assert client.delete(f"{URL}/{greet['id']}", headers=user).status_code == 403
    assert client.get(URL).status_code == 401
