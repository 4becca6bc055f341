"""`/api/contacts`: search, detail, edit, prospect-to-client conversion, notes and quotes."""
import pytest

from hub import db as hubdb
from hub.models import ClientNote, Contact, Quote
from schemas.contacts import ContactDetailSchema, ContactSchema, NoteSchema, QuoteSchema
from tests.web.crm_helpers import assert_shape, error_of, events_of, make_channel, make_contact


def row(contact_id):
    with hubdb.db.connection_context():
        return Contact.get_by_id(contact_id)


@pytest.fixture
def prospect(tenant):
    return make_contact(tenant)


def test_list_filters_by_type_and_text(client, tenant):
    telegram = make_channel(tenant, "telegram", "Bot")
    jane = make_contact(tenant, name="Jane Prospect")
    bob = make_contact(tenant, telegram, external_id="99001", name="Bob", phone=None,
                       username="bob_builder")
    assert client.post(f"/api/contacts/{bob.id}/convert", headers=tenant.headers,
                       json={"firstName": "Bob", "lastName": "Builder"}).status_code == 200
    everyone = client.get("/api/contacts", headers=tenant.headers)
    assert everyone.status_code == 200
    body = everyone.get_json()
    assert body["totalCount"] == 2 and body["page"] == 1
    for item in body["contacts"]:
        assert_shape(ContactSchema(), item)
    prospects = client.get("/api/contacts?type=prospect", headers=tenant.headers).get_json()
    assert [c["id"] for c in prospects["contacts"]] == [jane.id]
    clients = client.get("/api/contacts?type=client", headers=tenant.headers).get_json()
    (client_json,) = clients["contacts"]
    assert client_json["id"] == bob.id and client_json["isClient"] is True
    assert (client_json["identifier"], client_json["identifierType"],
            client_json["platform"]) == ("bob_builder", "social", "telegram")
    by_handle = client.get("/api/contacts?q=BUILDER", headers=tenant.headers).get_json()
    assert [c["id"] for c in by_handle["contacts"]] == [bob.id]
    by_phone = client.get("/api/contacts?q=3361234", headers=tenant.headers).get_json()
    assert [c["id"] for c in by_phone["contacts"]] == [jane.id]
    wildcard = client.get("/api/contacts?q=%25", headers=tenant.headers).get_json()
    assert wildcard["contacts"] == []


@pytest.mark.parametrize("query", ["type=lead", "page=0", "limit=500", "q="])
def test_bad_list_query_is_400(client, tenant, query):
    response = client.get(f"/api/contacts?{query}", headers=tenant.headers)
    assert response.status_code == 400 and error_of(response) == "validation_error"


def test_user_role_may_not_work_contacts(client, tenant, prospect):
    _, headers = tenant.add_user("user")
    assert client.get("/api/contacts", headers=headers).status_code == 403
    assert client.get(f"/api/contacts/{prospect.id}", headers=headers).status_code == 403
    assert client.post(f"/api/contacts/{prospect.id}/notes", headers=headers,
                       json={"content": "x"}).status_code == 403
    assert client.get("/api/contacts").status_code == 401


def test_detail_has_identities_notes_quotes(client, tenant, prospect):
    response = client.get(f"/api/contacts/{prospect.id}", headers=tenant.headers)
    assert response.status_code == 200
    body = assert_shape(ContactDetailSchema(), response.get_json())
    assert body["identities"][0]["external_id"] == "33612345678"
    assert body["identities"][0]["platform"] == "whatsapp"
    assert (body["identifier"], body["identifier_type"]) == ("+33612345678", "phone")
    assert body["notes"] == [] and body["quotes"] == [] and body["is_client"] is False
    assert client.get("/api/contacts/unknown", headers=tenant.headers).status_code == 404


def test_edit_tags_and_custom_fields(client, tenant, prospect):
    response = client.put(f"/api/contacts/{prospect.id}", headers=tenant.headers, json={
        "tags": ["vip", "fr"], "customFields": {"plan": "pro", "seats": 12},
        "email": "jane@example.test", "company": "Jane & Co"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["tags"] == ["vip", "fr"] and body["customFields"] == {"plan": "pro", "seats": 12}
    assert body["company"] == "Jane & Co" and body["email"] == "jane@example.test"
    (event,) = events_of(tenant.company.id, "contact.updated")
    assert event["data"]["id"] == prospect.id and event["data"]["tags"] == ["vip", "fr"]


@pytest.mark.parametrize("body, field", [
    ({"tags": "vip"}, "tags"), ({"tags": [""]}, "tags"), ({"email": "nope"}, "email"),
    ({"phone": "call me"}, "phone"), ({"status": "gone"}, "status"),
    ({"customFields": {"nested": {"a": 1}}}, "customFields"), ({"isClient": True}, "isClient"),
])
def test_bad_edit_is_400_and_nothing_changes(client, tenant, prospect, body, field):
    response = client.put(f"/api/contacts/{prospect.id}", headers=tenant.headers, json=body)
    assert response.status_code == 400 and field in response.get_json()["error"]["details"]
    after = row(prospect.id)
    assert (after.tags, after.email, after.is_client) == ([], None, False)


def test_convert_prospect_to_client(client, tenant, prospect):
    response = client.post(f"/api/contacts/{prospect.id}/convert", headers=tenant.headers, json={
        "firstName": "Jane", "lastName": "Doe", "email": "jane@doe.test",
        "phone": "+33 6 12 34 56 78", "company": "Doe SARL"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["isClient"] is True and body["clientId"] == prospect.id
    assert (body["firstName"], body["lastName"], body["company"], body["status"]) == (
        "Jane", "Doe", "Doe SARL", "active")
    assert body["name"] == "Jane Doe" and body["convertedAt"]
    (event,) = events_of(tenant.company.id, "contact.updated")
    assert event["data"]["isClient"] is True
    again = client.post(f"/api/contacts/{prospect.id}/convert", headers=tenant.headers,
                        json={"firstName": "Other"})
    assert again.status_code == 409 and error_of(again) == "already_client"
    assert row(prospect.id).first_name == "Jane"


@pytest.mark.parametrize("body, field", [({}, "firstName"), ({"firstName": ""}, "firstName"),
                                         ({"firstName": "J", "email": "x"}, "email")])
def test_bad_conversion_is_400(client, tenant, prospect, body, field):
    response = client.post(f"/api/contacts/{prospect.id}/convert", headers=tenant.headers,
                           json=body)
    assert response.status_code == 400 and field in response.get_json()["error"]["details"]
    assert row(prospect.id).is_client is False


def test_notes_add_list_delete(client, tenant, prospect):
    agent, agent_headers = tenant.add_user("support")
    first = client.post(f"/api/contacts/{prospect.id}/notes", headers=agent_headers,
                        json={"content": "Called, wants a demo"})
    assert first.status_code == 201
    note = assert_shape(NoteSchema(), first.get_json())
    assert note["author_id"] == agent.id and note["author_name"] == agent.name
    second = client.post(f"/api/contacts/{prospect.id}/notes", headers=tenant.headers,
                         json={"content": "Demo booked"}).get_json()
    listed = client.get(f"/api/contacts/{prospect.id}/notes", headers=agent_headers).get_json()
    assert [n["id"] for n in listed] == [second["id"], note["id"]]
    # An agent may not delete the admin's note; the admin may delete anyone's.
    denied = client.delete(f"/api/contacts/{prospect.id}/notes/{second['id']}",
                           headers=agent_headers)
    assert denied.status_code == 403
    assert client.delete(f"/api/contacts/{prospect.id}/notes/{note['id']}",
                         headers=tenant.headers).status_code == 204
    assert client.delete(f"/api/contacts/{prospect.id}/notes/{note['id']}",
                         headers=tenant.headers).status_code == 404
    with hubdb.db.connection_context():
        assert [n.id for n in ClientNote.select()] == [second["id"]]


def test_note_of_another_contact_is_404(client, tenant, prospect):
    other = make_contact(tenant, external_id="4400", name="Other", phone=None)
    note = client.post(f"/api/contacts/{other.id}/notes", headers=tenant.headers,
                       json={"content": "theirs"}).get_json()
    response = client.delete(f"/api/contacts/{prospect.id}/notes/{note['id']}",
                             headers=tenant.headers)
    assert response.status_code == 404


@pytest.mark.parametrize("body", [{}, {"content": ""}, {"content": "x" * 10_001}])
def test_bad_note_is_400(client, tenant, prospect, body):
    response = client.post(f"/api/contacts/{prospect.id}/notes", headers=tenant.headers,
                           json=body)
    assert response.status_code == 400 and "content" in response.get_json()["error"]["details"]


def test_quotes_and_total_value_of_accepted(client, tenant, prospect):
    url = f"/api/contacts/{prospect.id}/quotes"
    first = client.post(url, headers=tenant.headers, json={"title": "Setup", "amount": 1200.5,
                                                           "currency": "EUR"})
    assert first.status_code == 201
    quote = assert_shape(QuoteSchema(), first.get_json())
    assert (quote["status"], quote["amount"]) == ("draft", 1200.5)
    second = client.post(url, headers=tenant.headers, json={
        "title": "Licence", "amount": "300", "status": "accepted",
        "validUntil": "2030-01-31"}).get_json()
    assert second["validUntil"] == "2030-01-31"
    assert float(row(prospect.id).total_value) == 300
    accepted = client.put(f"{url}/{quote['id']}", headers=tenant.headers,
                          json={"status": "accepted"})
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "accepted"
    detail = client.get(f"/api/contacts/{prospect.id}", headers=tenant.headers).get_json()
    assert detail["totalValue"] == 1500.5 and len(detail["quotes"]) == 2
    rejected = client.put(f"{url}/{second['id']}", headers=tenant.headers,
                          json={"status": "rejected", "amount": 10, "currency": "USD"})
    assert rejected.get_json()["currency"] == "USD"
    assert float(row(prospect.id).total_value) == 1200.5
    listed = client.get(url, headers=tenant.headers).get_json()
    assert [q["id"] for q in listed] == [second["id"], quote["id"]]
    assert [e["data"]["totalValue"] for e in events_of(tenant.company.id, "contact.updated")] == [
        300.0, 1500.5, 1200.5]


@pytest.mark.parametrize("body, field", [
    ({"amount": 5}, "title"), ({"title": "x"}, "amount"),
    ({"title": "x", "amount": -1}, "amount"), ({"title": "x", "amount": "NaN"}, "amount"),
    ({"title": "x", "amount": 1, "currency": "euro"}, "currency"),
    ({"title": "x", "amount": 1, "status": "won"}, "status"),
    ({"title": "x", "amount": 1, "validUntil": "soon"}, "validUntil"),
])
def test_bad_quote_is_400(client, tenant, prospect, body, field):
    response = client.post(f"/api/contacts/{prospect.id}/quotes", headers=tenant.headers,
                           json=body)
    assert response.status_code == 400 and field in response.get_json()["error"]["details"]
    with hubdb.db.connection_context():
        assert Quote.select().count() == 0


def test_quote_update_errors(client, tenant, prospect):
    other = make_contact(tenant, external_id="4401", name="Other", phone=None)
    quote = client.post(f"/api/contacts/{other.id}/quotes", headers=tenant.headers,
                        json={"title": "t", "amount": 1}).get_json()
    wrong_contact = client.put(f"/api/contacts/{prospect.id}/quotes/{quote['id']}",
                               headers=tenant.headers, json={"status": "sent"})
    assert wrong_contact.status_code == 404
    bad = client.put(f"/api/contacts/{other.id}/quotes/{quote['id']}", headers=tenant.headers,
                     json={"status": "won"})
    assert bad.status_code == 400
    with hubdb.db.connection_context():
        assert Quote.get_by_id(quote["id"]).status == "draft"
