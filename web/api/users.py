"""Users of the caller's company: `/api/users`, status, and the caller's own settings."""
from __future__ import annotations

from flask import jsonify

from hub import users as user_service
from hub.companies import user_settings
from hub.models import User
from hub.scoping import get_scoped, scoped
from schemas.users import (UserCreateSchema, UserSchema, UserSettingsSchema, UserStatusSchema,
                           UserUpdateSchema)
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
    return jsonify(UserSchema(many=True).dump(
        [user_service.present(principal, r) for r in rows]))


@bp.get("/users/<user_id>")
@doc(summary="A user's profile (`me` for the caller)", tags=("users",), response=UserSchema,
     errors=(404,))
def get_user(user_id: str):
    principal = current_principal()
    user = get_scoped(User, user_service.resolve_user_id(principal, user_id),
                      principal.company_id, "user")
    return jsonify(UserSchema().dump(user_service.present(principal, user)))


@bp.post("/users")
@doc(summary="Create a user (admin)", tags=("users",), body=UserCreateSchema, response=UserSchema,
     status=201, errors=(403, 409))
@roles("admin")
def create_user():
    principal = current_principal()
    body = load_json(UserCreateSchema())
    user = user_service.create_user(principal, **body)
    return jsonify(UserSchema().dump(user)), 201


@bp.put("/users/<user_id>")
@doc(summary="Edit a user (admin: every field; a user: their own name and avatar)",
     tags=("users",), body=UserUpdateSchema, response=UserSchema, errors=(403, 404, 409))
def update_user(user_id: str):
    principal = current_principal()
    body = load_json(UserUpdateSchema())
    user = user_service.update_user(principal, user_id, body)
    return jsonify(UserSchema().dump(user))


@bp.put("/users/<user_id>/status")
@doc(summary="Set a user's presence status (self, or admin)", tags=("users",),
     body=UserStatusSchema, response=UserSchema, errors=(403, 404))
def update_user_status(user_id: str):
    principal = current_principal()
    body = load_json(UserStatusSchema())
    user = user_service.set_status(principal, user_id, body["status"])
    return jsonify(UserSchema().dump(user))


@bp.get("/users/me/settings")
@doc(summary="The caller's own settings", tags=("users",), response=UserSettingsSchema)
def get_my_settings():
    principal = current_principal()
    user = get_scoped(User, principal.user_id, principal.company_id, "user")
    return jsonify(UserSettingsSchema().dump(user_settings(user)))


@bp.put("/users/me/settings")
@doc(summary="Change the caller's own settings (parts given are merged)", tags=("users",),
     body=UserSettingsSchema, response=UserSettingsSchema)
def update_my_settings():
    body = load_json(UserSettingsSchema())
    return jsonify(UserSettingsSchema().dump(user_service.update_settings(current_principal(),
                                                                           body)))
