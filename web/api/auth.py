"""`POST /api/auth/login`, the caller's profile, and API tokens for integrations."""
from __future__ import annotations

from flask import jsonify, request

from hub import ratelimit
from hub.auth import authenticate, create_api_token, issue_access_token
from hub.errors import TooManyRequests
from hub.models import ApiToken, User, utcnow
from hub.scoping import get_scoped
from schemas.auth import ApiTokenCreateSchema, LoginSchema
from schemas.users import UserSchema
from web.api.blueprint import bp
from web.auth import current_principal, public
from web.loading import load_json
from web.openapi import doc

# Failed logins allowed per email and per client address in one window.
LOGIN_ATTEMPTS = 10
LOGIN_WINDOW_SECONDS = 300


@bp.post("/auth/login")
@public
@doc(summary="Log in with email and password", tags=("auth",), body=LoginSchema,
     response_schema={"type": "object", "required": ["accessToken", "user"], "properties": {
         "accessToken": {"type": "string"}, "user": {"$ref": "#/components/schemas/User"}}},
     errors=(401, 429))
def login():
    body = load_json(LoginSchema())
    address = request.headers.get("X-Forwarded-For", request.remote_addr or "").split(",")[0]
    for name in (f"login:email:{body['email'].lower()}", f"login:ip:{address}"):
        allowed, reset_in = ratelimit.hit(name, LOGIN_ATTEMPTS, LOGIN_WINDOW_SECONDS)
        if not allowed:
            raise TooManyRequests("too many login attempts; try again later",
                                  retry_after=int(reset_in))
    user = authenticate(body["email"], body["password"])
    ratelimit.reset(f"login:email:{body['email'].lower()}")
    User.update(last_active=utcnow()).where(User.id == user.id).execute()
    return jsonify({"accessToken": issue_access_token(user), "user": UserSchema().dump(user)})


@bp.get("/auth/me")
@doc(summary="The caller's profile", tags=("auth",), response=UserSchema)
def me():
    user = get_scoped(User, current_principal().user_id, current_principal().company_id)
    return jsonify(UserSchema().dump(user))


@bp.post("/auth/tokens")
@doc(summary="Create an API token (shown once)", tags=("auth",), body=ApiTokenCreateSchema,
     status=201, response_schema={"type": "object"})
def create_token():
    principal = current_principal()
    body = load_json(ApiTokenCreateSchema())
    user = get_scoped(User, principal.user_id, principal.company_id)
    row, plain = create_api_token(user, body["name"])
    return jsonify({"id": row.id, "name": row.name, "token": plain,
                    "createdAt": row.created_at.isoformat() + "Z"}), 201


@bp.get("/auth/tokens")
@doc(summary="The caller's API tokens", tags=("auth",), response_schema={"type": "object"})
def list_tokens():
    principal = current_principal()
    rows = (ApiToken.select().where((ApiToken.user == principal.user_id)
                                    & (ApiToken.revoked_at.is_null()))
            .order_by(ApiToken.created_at.desc()))
    return jsonify({"tokens": [{"id": r.id, "name": r.name, "prefix": r.prefix,
                                "createdAt": r.created_at.isoformat() + "Z",
                                "lastUsedAt": r.last_used_at.isoformat() + "Z"
                                if r.last_used_at else None} for r in rows]})


@bp.delete("/auth/tokens/<token_id>")
@doc(summary="Revoke an API token", tags=("auth",), status=204, errors=(404,))
def revoke_token(token_id: str):
    principal = current_principal()
    row = get_scoped(ApiToken, token_id, principal.company_id, "token")
    if row.user_id != principal.user_id:
        get_scoped(ApiToken, None, principal.company_id, "token")  # another user's: 404
    ApiToken.update(revoked_at=utcnow()).where(ApiToken.id == row.id).execute()
    return "", 204
