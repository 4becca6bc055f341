"""The visitor API: origins (403 + counted, CORS), pre-chat form, identity HMAC, rate limits."""
from __future__ import annotations

from hub import db as hubdb
from hub.models import Contact, ContactIdentity, Widget, WidgetStat
from hub.widgets import user_hash
from tests.widget.helpers import SITE, ready_widget, start


def test_allowed_origin_gets_config_with_cors_and_counts_a_load(client, tenant):
    w = ready_widget(client, tenant)
    r = client.get(w.api("config"), headers={"Origin": SITE})
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == SITE
    assert r.get_json()["preChatFields"][0]["key"] == "name"
    pre = client.options(w.api("messages"), headers={
        "Origin": SITE, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, x-widget-token"})
    assert pre.status_code == 204 and pre.headers["Access-Control-Allow-Origin"] == SITE
    assert "X-Widget-Token" in pre.headers["Access-Control-Allow-Headers"]
    stats = client.get(f"/api/widgets/{w.id}/stats", headers=tenant.headers).get_json()
    assert stats["totals"]["loads"] == 1 and stats["totals"]["refused"] == 0


def test_other_origins_are_refused_with_403_and_counted(client, tenant):
    w = ready_widget(client, tenant)
    refused = ["https://evil.example.net", "https://shop.example.com.evil.net",
               "https://sub.shop.example.com", "https://shop.example.com:8443", "null",
               "http://localhost:3000"]
    for origin in refused:
        r = client.get(w.api("config"), headers={"Origin": origin})
        assert r.status_code == 403, origin
        body = r.get_json()
        assert body["error"]["code"] == "origin_not_allowed"
        assert "not authorized" in body["error"]["message"]
        assert "Access-Control-Allow-Origin" not in r.headers
    assert client.get(w.api("config")).status_code == 403  # no origin at all
    assert start(client, w, origin="https://evil.example.net").status_code == 403
    with hubdb.db.connection_context():
        assert Widget.get_by_id(w.id).refused_count == len(refused) + 2
        assert WidgetStat.get(WidgetStat.widget == w.id).refused == len(refused) + 2
    stats = client.get(f"/api/widgets/{w.id}/stats", headers=tenant.headers).get_json()
    assert stats["totals"]["refused"] == len(refused) + 2 and stats["totals"]["loads"] == 0


def test_the_frame_names_its_page_and_localhost_needs_the_switch(client, tenant):
    w = ready_widget(client, tenant)
    own = {"Origin": "http://127.0.0.1:5000"}  # the hub's own frame
    assert client.get(w.api("config"), headers=own).status_code == 403
    ok = client.get(w.api("config"), headers={**own, "X-Widget-Host": SITE})
    assert ok.status_code == 200 and "Access-Control-Allow-Origin" not in ok.headers
    assert client.get(w.api("config"), headers={"Origin": "http://localhost:3000"}).status_code == 403
    client.patch(f"/api/widgets/{w.id}", json={"allowLocalhost": True}, headers=tenant.headers)
    for origin in ("http://localhost:3000", "http://127.0.0.1:8080"):
        assert client.get(w.api("config"), headers={"Origin": origin}).status_code == 200


def test_unknown_and_inactive_widgets(client, tenant):
    assert client.get("/widget/api/0123456789abcdef0123456789abcdef/config",
                      headers={"Origin": SITE}).status_code == 404
    w = ready_widget(client, tenant)
    client.patch(f"/api/widgets/{w.id}", json={"status": "inactive"}, headers=tenant.headers)
    r = client.get(w.api("config"), headers={"Origin": SITE})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "widget_inactive"


def test_frame_csp_lists_only_verified_domains(client, tenant):
    w = ready_widget(client, tenant)
    client.post(f"/api/widgets/{w.id}/domains", json={"domain": "unverified.example"},
                headers=tenant.headers)
    csp = client.get(f"/widget/frame/{w.id}").headers["Content-Security-Policy"]
    assert "frame-ancestors https://shop.example.com http://shop.example.com;" in csp
    assert "unverified" not in csp
    loader = client.get(f"/widget.js?id={w.id}", headers={"Referer": SITE + "/products"})
    assert loader.status_code == 200 and w.id in loader.get_data(as_text=True)
    refused = client.get(f"/widget.js?id={w.id}", headers={"Referer": "https://evil.example/"})
    assert refused.status_code == 403 and "iframe" not in refused.get_data(as_text=True)


def test_pre_chat_form_validation(client, tenant):
    w = ready_widget(client, tenant)
    cases = [({}, {"name", "email"}), ({"name": "C", "email": "nope"}, {"email"}),
             ({"name": "C", "email": "c@example.org", "phone": "call me"}, {"phone"}),
             ({"name": "C", "email": "c@example.org", "hacker": "x"}, {"hacker"}),
             ({"name": "C" * 201, "email": "c@example.org"}, {"name"})]
    for form, fields in cases:
        r = start(client, w, form=form)
        assert r.status_code == 400, form
        assert r.get_json()["error"]["code"] == "invalid_form"
        assert set(r.get_json()["error"]["details"]) == fields
    r = start(client, w, form={"name": "Camille", "email": "camille@example.org",
                               "phone": "+33 6 12 34 56 78", "order": "A-1"})
    assert r.status_code == 201
    body = r.get_json()
    assert body["token"] and body["visitorId"].startswith("v_") and body["messages"] == []
    with hubdb.db.connection_context():
        identity = ContactIdentity.get(ContactIdentity.external_id == body["visitorId"])
        contact = Contact.get_by_id(identity.contact_id)
    assert (contact.name, contact.email, contact.phone) == ("Camille", "camille@example.org",
                                                            "+33 6 12 34 56 78")
    assert contact.custom_fields == {"order": "A-1"} and contact.company_id == tenant.company.id


def test_returning_visitor_keeps_their_id(client, tenant):
    w = ready_widget(client, tenant)
    first = start(client, w).get_json()
    again = start(client, w, previousToken=first["token"]).get_json()
    assert again["visitorId"] == first["visitorId"]
    other = ready_widget(client, tenant, domain="other.example.com")
    elsewhere = start(client, other, origin="https://other.example.com",
                      previousToken=first["token"]).get_json()
    assert elsewhere["visitorId"] != first["visitorId"]


def test_identity_verification_links_only_with_a_matching_hmac(client, tenant):
    w = ready_widget(client, tenant)
    good = user_hash(w.secret, "user-42")
    bad = start(client, w, userId="user-42", userHash="0" * 64)
    assert bad.status_code == 403 and bad.get_json()["error"]["code"] == "identity_invalid"
    assert start(client, w, userId="user-42").status_code == 403
    first = start(client, w, userId="user-42", userHash=good).get_json()
    assert first["verified"] is True
    # Another browser, same host user: same visitor, same contact.
    second = start(client, w, userId="user-42", userHash=good.upper(),
                   form={"name": "Camille M", "email": "camille@example.org"}).get_json()
    assert second["visitorId"] == first["visitorId"]
    with hubdb.db.connection_context():
        contacts = list(Contact.select().where(Contact.external_user_id == "user-42"))
        assert len(contacts) == 1
        # A contact the CRM already knows by this user id gets the conversation.
        known = Contact.create(company=tenant.company.id, name="Known", external_user_id="u-7")
    third = start(client, w, userId="u-7", userHash=user_hash(w.secret, "u-7")).get_json()
    with hubdb.db.connection_context():
        identity = ContactIdentity.get(ContactIdentity.external_id == third["visitorId"])
        assert identity.contact_id == known.id
    anonymous = start(client, w).get_json()
    assert anonymous["verified"] is False and anonymous["visitorId"].startswith("v_")


def test_visitor_requests_need_a_token_of_this_widget(client, tenant):
    w = ready_widget(client, tenant)
    other = ready_widget(client, tenant, domain="other.example.com")
    token = start(client, other, origin="https://other.example.com").get_json()["token"]
    for headers in ({}, {"X-Widget-Token": "junk"}, {"X-Widget-Token": token}):
        r = client.get(w.api("messages"), headers={"Origin": SITE, **headers})
        assert r.status_code == 401 and r.get_json()["error"]["code"] == "invalid_visitor_token"


def test_visitor_sends_are_rate_limited(client, tenant, monkeypatch):
    import hub.widget_inbound as inbound

    monkeypatch.setattr(inbound, "VISITOR_LIMIT", 3)
    w = ready_widget(client, tenant)
    token = start(client, w).get_json()["token"]
    codes = []
    for i in range(5):
        r = client.post(w.api("messages"), json={"clientMessageId": f"c{i}", "text": "hi"},
                        headers={"Origin": SITE, "X-Widget-Token": token})
        codes.append(r.status_code)
    assert codes[3:] == [429, 429] and all(c != 429 for c in codes[:3])
    r = client.post(w.api("messages"), json={"clientMessageId": "c9", "text": "hi"},
                    headers={"Origin": SITE, "X-Widget-Token": token})
    assert r.get_json()["error"]["code"] == "rate_limited" and int(r.headers["Retry-After"]) > 0


def test_message_input_validation(client, tenant):
    w = ready_widget(client, tenant)
    token = start(client, w).get_json()["token"]
    headers = {"Origin": SITE, "X-Widget-Token": token}
    for body in ({"text": "no id"}, {"clientMessageId": "x" * 65, "text": "a"},
                 {"clientMessageId": "bad id", "text": "a"}, {"clientMessageId": "c1"},
                 {"clientMessageId": "c1", "text": 5}, {"clientMessageId": "c1", "text": "x" * 4001},
                 {"clientMessageId": "c1", "attachmentIds": ["0" * 32]}):
        r = client.post(w.api("messages"), json=body, headers=headers)
        assert r.status_code in (400, 404), body
    assert client.post(w.api("messages"), data="[", headers={
        **headers, "Content-Type": "application/json"}).status_code == 400
