"""Login, bearer tokens, roles and tenant isolation of the API's foundation."""
from datetime import timedelta

import jwt

from hub.models import User, utcnow
from tests.factories import PASSWORD


def error_of(response):
    body = response.get_json()
    assert body["success"] is False
    assert set(body["error"]) >= {"code", "message"}
    return body["error"]["code"]


def test_login_returns_a_working_token(client, tenant):
    response = client.post("/api/auth/login", json={"email": tenant.admin.email,
                                                    "password": PASSWORD})
    assert response.status_code == 200
    body = response.get_json()
    assert body["user"]["email"] == tenant.admin.email
    assert body["user"]["role"] == "admin"
    assert "passwordHash" not in body["user"]
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['accessToken']}"})
    assert me.status_code == 200 and me.get_json()["id"] == tenant.admin.id


def test_bad_login_is_401_with_json_error(client, tenant):
    response = client.post("/api/auth/login", json={"email": tenant.admin.email,
                                                    "password": "wrong"})
    assert response.status_code == 401
    assert error_of(response) == "invalid_credentials"
    unknown = client.post("/api/auth/login", json={"email": "nobody@x.test", "password": "x"})
    assert unknown.status_code == 401


def test_login_validates_its_body(client):
    response = client.post("/api/auth/login", json={"email": "not-an-email"})
    assert response.status_code == 400
    assert error_of(response) == "validation_error"
    assert set(response.get_json()["error"]["details"]) == {"email", "password"}
    garbage = client.post("/api/auth/login", data="{not json", content_type="application/json")
    assert garbage.status_code == 400


def test_login_is_rate_limited(client, tenant):
    for _ in range(10):
        assert client.post("/api/auth/login", json={"email": tenant.admin.email,
                                                    "password": "nope"}).status_code == 401
    blocked = client.post("/api/auth/login", json={"email": tenant.admin.email,
                                                   "password": PASSWORD})
    assert blocked.status_code == 429
    assert error_of(blocked) == "rate_limited"
    assert int(blocked.headers["Retry-After"]) > 0


def test_missing_and_malformed_tokens_are_401(client, tenant):
    assert error_of(client.get("/api/auth/me")) == "missing_token"
    assert client.get("/api/auth/me").status_code == 401
    bad = client.get("/api/auth/me", headers={"Authorization": "Bearer abc.def.ghi"})
    assert bad.status_code == 401 and error_of(bad) == "invalid_token"


def test_expired_token_is_401(client, tenant, settings):
    now = utcnow()
    token = jwt.encode({"sub": tenant.admin.id, "cid": tenant.company.id, "role": "admin",
                        "iat": now - timedelta(hours=2), "exp": now - timedelta(hours=1)},
                       settings.secret_key, algorithm="HS256")
    response = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert error_of(response) == "token_expired"


def test_token_signed_with_another_key_is_refused(client, tenant):
    token = jwt.encode({"sub": tenant.admin.id, "cid": tenant.company.id, "role": "admin",
                        "exp": utcnow() + timedelta(hours=1)}, "another-secret-key-of-enough-length!!", algorithm="HS256")
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}
                      ).status_code == 401


def test_deactivated_user_loses_access(client, tenant, db_conn):
    User.update(is_active=False).where(User.id == tenant.admin.id).execute()
    assert client.get("/api/auth/me", headers=tenant.headers).status_code == 401


def test_api_tokens_are_stored_hashed_and_revocable(client, tenant, db_conn):
    created = client.post("/api/auth/tokens", json={"name": "crm sync"}, headers=tenant.headers)
    assert created.status_code == 201
    plain = created.get_json()["token"]
    from hub.models import ApiToken

    row = ApiToken.get()
    assert plain not in (row.token_hash, row.prefix) and row.token_hash != plain
    api_headers = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/auth/me", headers=api_headers).status_code == 200
    listed = client.get("/api/auth/tokens", headers=tenant.headers).get_json()["tokens"]
    assert [t["name"] for t in listed] == ["crm sync"] and "token" not in listed[0]
    assert client.delete(f"/api/auth/tokens/{row.id}", headers=tenant.headers).status_code == 204
    assert client.get("/api/auth/me", headers=api_headers).status_code == 401


def test_foreign_token_id_is_404(client, tenant, other_tenant):
    created = client.post("/api/auth/tokens", json={"name": "x"}, headers=other_tenant.headers)
    token_id = created.get_json()["id"]
    response = client.delete(f"/api/auth/tokens/{token_id}", headers=tenant.headers)
    assert response.status_code == 404 and error_of(response) == "not_found"
    # ...and the other company's token still works.
    assert client.get("/api/auth/me", headers={
        "Authorization": f"Bearer {created.get_json()['token']}"}).status_code == 200


def test_role_that_may_not_act_gets_403(client, tenant):
    _, support_headers = tenant.add_user("support")
    response = client.post("/api/users", json={"email": "new@x.test", "name": "New",
                                               "password": "long enough pw", "role": "support"},
                           headers=support_headers)
    assert response.status_code == 403 and error_of(response) == "forbidden"
    ok = client.post("/api/users", json={"email": "new@x.test", "name": "New",
                                         "password": "long enough pw", "role": "support"},
                     headers=tenant.headers)
    assert ok.status_code == 201


def test_unknown_api_route_is_json_404(client, tenant):
    response = client.get("/api/nothing-here", headers=tenant.headers)
    assert response.status_code == 404 and error_of(response) == "not_found"


def test_nul_characters_are_a_400_not_a_500(client, tenant):
    """PostgreSQL text cannot hold NUL: the API says so instead of failing (found by schemathesis)."""
    response = client.post("/api/users", json={"email": "nul@x.test", "name": "a\u0000b",
                                                "password": "long enough pw", "role": "support"},
                           headers=tenant.headers)
    assert response.status_code == 400 and error_of(response) == "validation_error"
    search = client.get("/api/chat/sessions?q=a%00b", headers=tenant.headers)
    assert search.status_code == 400
