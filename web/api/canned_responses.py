"""Canned responses of the company: `/api/canned-responses` (admins and support agents)."""
from __future__ import annotations

from flask import jsonify

from hub import canned
from schemas.canned import CannedCreateSchema, CannedQuerySchema, CannedSchema, CannedUpdateSchema
from web.api.blueprint import bp
from web.auth import current_principal
from web.loading import load_json, load_query
from web.openapi import doc

TAGS = ("canned-responses",)


@bp.get("/canned-responses")
@doc(summary="Canned responses; `q` keeps shortcuts starting with it", tags=TAGS,
     query=CannedQuerySchema, response=CannedSchema(many=True), errors=(403,))
def list_canned_responses():
    query = load_query(CannedQuerySchema())
    rows = canned.list_canned(current_principal(), query.get("q"))
    return jsonify([canned.canned_dict(r) for r in rows])


@bp.post("/canned-responses")
@doc(summary="Create a canned response (shortcut unique in the company)", tags=TAGS,
     body=CannedCreateSchema, response=CannedSchema, status=201, errors=(403, 409))
def create_canned_response():
    body = load_json(CannedCreateSchema())
    return jsonify(canned.canned_dict(canned.create_canned(current_principal(), body))), 201


@bp.put("/canned-responses/<canned_id>")
@doc(summary="Edit a canned response", tags=TAGS, body=CannedUpdateSchema,
     response=CannedSchema, errors=(403, 404, 409))
def update_canned_response(canned_id: str):
    body = load_json(CannedUpdateSchema())
    return jsonify(canned.canned_dict(canned.update_canned(current_principal(), canned_id,
                                                           body)))


@bp.delete("/canned-responses/<canned_id>")
@doc(summary="Delete a canned response", tags=TAGS, status=204, errors=(403, 404))
def delete_canned_response(canned_id: str):
    canned.delete_canned(current_principal(), canned_id)
    return "", 204
