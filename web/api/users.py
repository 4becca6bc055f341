"""Users of the caller's company: `/api/users`."""
from __future__ import annotations

from flask import jsonify

from hub import users as user_service
from hub.models import User
from hub.scoping import get_scoped, scoped
from schemas.users import UserCreateSchema, UserSchema
from web.api.blueprint import bp
from web.auth import current_principal, roles
from web.loading import load_json
from web.openapi import doc


@bp.get("/users")
@doc(summary="Users of the caller's company", tags=("users",), response=UserSchema(many=True))
def list_users():
    principal = current_principal()
    rows = scoped(User, principal.company_id).where(User.is_active == True).order_by(  # noqa: E712
        User.name)
    return jsonify(UserSchema(many=True).dump(rows))


@bp.get("/users/<user_id>")
@doc(summary="A user's profile", tags=("users",), response=UserSchema, errors=(404,))
def get_user(user_id: str):
    user = get_scoped(User, user_id, current_principal().company_id, "user")
    return jsonify(UserSchema().dump(user))


@bp.post("/users")
@doc(summary="Create a user (admin)", tags=("users",), body=UserCreateSchema, response=UserSchema,
     status=201, errors=(403, 409))
@roles("admin")
def create_user():
    principal = current_principal()
    body = load_json(UserCreateSchema())
    user = user_service.create_user(principal, **body)
    return jsonify(UserSchema().dump(user)), 201
