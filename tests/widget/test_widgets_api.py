"""`/api/widgets`: CRUD, validation, the secret shown once, tenant isolation, admin only."""
from __future__ import annotations

from hub import db as hubdb
from hub.models import Channel, Widget


def create(client, tenant, **body):
    payload = {"name": "Shop chat", **body}
    return client.post("/api/widgets", json=payload, headers=tenant.headers)


def test_create_makes_a_widget_channel_and_answers_snippet_and_secret(client, tenant):
    r = create(client, tenant, type="popup", settings={"colors": {"primary": "#ff0066"},
                                                       "greeting": "Bonjour"},
               preChatFields=[{"key": "name", "label": "Name", "type": "name", "required": True},
                              {"key": "order", "label": "Order", "type": "text"}])
    assert r.status_code == 201, r.get_json()
    w = r.get_json()
    assert w["type"] == "popup" and w["status"] == "active"
    assert w["settings"]["colors"] == {"primary": "#ff0066", "background": "#ffffff",
                                       "text": "#111827"}
    assert w["settings"]["greeting"] == "Bonjour"
    assert w["embedCode"] == ('<script src="http://127.0.0.1:5000/widget.js?id='
                              f'{w["id"]}" async></script>')
    assert len(w["secret"]) == 64 and w["secretMasked"] is False
    with hubdb.db.connection_context():
        channel = Channel.get_by_id(w["channelId"])
    assert channel.kind == "widget" and channel.company_id == tenant.company.id
    again = client.get(f"/api/widgets/{w['id']}", headers=tenant.headers).get_json()
    assert again["secretMasked"] is True and again["secret"].endswith(w["secret"][-4:])
    assert w["secret"] not in str(again)


def test_list_update_delete(client, tenant):
    w = create(client, tenant).get_json()
    r = client.patch(f"/api/widgets/{w['id']}", headers=tenant.headers,
                     json={"status": "inactive", "settings": {"position": "bottom-left",
                                                              "colors": {"text": "#000"}}})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["status"] == "inactive" and body["settings"]["position"] == "bottom-left"
    assert body["settings"]["colors"]["text"] == "#000"
    assert body["settings"]["colors"]["primary"] == "#2563eb"
    assert [x["id"] for x in client.get("/api/widgets", headers=tenant.headers).get_json()] == [w["id"]]
    assert client.delete(f"/api/widgets/{w['id']}", headers=tenant.headers).status_code == 204
    assert client.get(f"/api/widgets/{w['id']}", headers=tenant.headers).status_code == 404
    with hubdb.db.connection_context():
        assert Channel.get_by_id(w["channelId"]).deleted_at is not None


def test_validation_errors_are_400_with_fields(client, tenant):
    bad = [
        {"type": "sidebar"},
        {"settings": {"colors": {"primary": "blue"}}},
        {"settings": {"position": "middle"}},
        {"preChatFields": [{"key": "Bad Key", "label": "x", "type": "text"}]},
        {"preChatFields": [{"key": "a", "label": "A", "type": "select"}]},
        {"preChatFields": [{"key": "a", "label": "A", "type": "text"},
                           {"key": "a", "label": "B", "type": "text"}]},
        {"unknown": 1},
        {"name": ""},
    ]
    for body in bad:
        r = create(client, tenant, **body)
        assert r.status_code == 400, body
        assert r.get_json()["error"]["code"] == "validation_error"
    assert client.post("/api/widgets", data="nope", headers={**tenant.headers,
                       "Content-Type": "application/json"}).status_code == 400
    with hubdb.db.connection_context():
        assert Widget.select().count() == 0 and Channel.select().count() == 0


def test_foreign_widget_ids_are_404_and_agents_are_403(client, tenant, other_tenant):
    w = create(client, tenant).get_json()
    for method, path in (("get", ""), ("patch", ""), ("delete", ""), ("get", "/domains"),
                         ("post", "/domains"), ("get", "/stats"), ("post", "/secret")):
        r = getattr(client, method)(f"/api/widgets/{w['id']}{path}", headers=other_tenant.headers,
                                    json={"domain": "x.example"} if method == "post" else None)
        assert r.status_code == 404, (method, path, r.get_json())
    assert client.get("/api/widgets", headers=other_tenant.headers).get_json() == []
    _, agent = tenant.add_user("support")
    assert client.get("/api/widgets", headers=agent).status_code == 403
    assert client.post("/api/widgets", json={"name": "x"}, headers=agent).status_code == 403


def test_domains_add_list_remove_and_foreign_domain_ids(client, tenant, other_tenant):
    w = create(client, tenant).get_json()
    r = client.post(f"/api/widgets/{w['id']}/domains", json={"domain": "https://Shop.Example.com/x"},
                    headers=tenant.headers)
    assert r.status_code == 201, r.get_json()
    d = r.get_json()
    assert d["domain"] == "shop.example.com" and d["verified"] is False and len(d["token"]) == 32
    assert d["instructions"]["dns"]["name"] == "_hub-verification.shop.example.com"
    assert d["instructions"]["dns"]["value"] == f"hub-verification={d['token']}"
    assert d["instructions"]["file"]["url"] == \
        "https://shop.example.com/.well-known/hub-verification.txt"
    dup = client.post(f"/api/widgets/{w['id']}/domains", json={"domain": "shop.example.com"},
                      headers=tenant.headers)
    assert dup.status_code == 409
    for junk in ("", "not a domain", "exa mple.com", "-bad.com", "a" * 300, "http://x:99999"):
        r = client.post(f"/api/widgets/{w['id']}/domains", json={"domain": junk},
                        headers=tenant.headers)
        assert r.status_code == 400, junk
    other = create(client, other_tenant).get_json()
    assert client.delete(f"/api/widgets/{other['id']}/domains/{d['id']}",
                         headers=other_tenant.headers).status_code == 404
    assert client.post(f"/api/widgets/{w['id']}/domains/{d['id']}/verify",
                       headers=other_tenant.headers).status_code == 404
    assert len(client.get(f"/api/widgets/{w['id']}/domains", headers=tenant.headers).get_json()) == 1
    assert client.delete(f"/api/widgets/{w['id']}/domains/{d['id']}",
                         headers=tenant.headers).status_code == 204
    assert client.get(f"/api/widgets/{w['id']}/domains", headers=tenant.headers).get_json() == []


def test_openapi_documents_every_widget_route(client):
    spec = client.get("/api/openapi.json").get_json()
    paths = [p for p in spec["paths"] if p.startswith("/api/widgets")]
    assert set(paths) >= {"/api/widgets", "/api/widgets/{widget_id}",
                          "/api/widgets/{widget_id}/domains",
                          "/api/widgets/{widget_id}/domains/{domain_id}",
                          "/api/widgets/{widget_id}/domains/{domain_id}/verify",
                          "/api/widgets/{widget_id}/stats", "/api/widgets/{widget_id}/secret"}
