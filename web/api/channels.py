"""Connected provider accounts: `/api/channels` (reads for every agent, writes for admins)."""
from __future__ import annotations

from flask import jsonify

from hub import channels as channel_service
from schemas.channels import (ChannelCreateSchema, ChannelSchema, ChannelTemplateSchema,
                              ChannelUpdateSchema)
from web.api.blueprint import bp
from web.auth import current_principal, roles
from web.loading import load_json
from web.openapi import doc


def _dump(channel) -> dict:
    principal = current_principal()
    return channel_service.channel_dict(channel, show_verify_token=principal.is_admin)


@bp.get("/channels")
@doc(summary="Channels of the caller's company", tags=("channels",),
     response=ChannelSchema(many=True))
def list_channels():
    rows = channel_service.live_channels(current_principal().company_id)
    return jsonify([_dump(c) for c in rows])


@bp.post("/channels")
@doc(summary="Connect a provider account (admin)", tags=("channels",), body=ChannelCreateSchema,
     response=ChannelSchema, status=201, errors=(403,))
@roles("admin")
def create_channel():
    body = load_json(ChannelCreateSchema())
    channel = channel_service.create_channel(current_principal(), body["kind"], body["name"],
                                             body["credentials"], body["settings"])
    return jsonify(_dump(channel)), 201


@bp.get("/channels/<channel_id>")
@doc(summary="One channel", tags=("channels",), response=ChannelSchema, errors=(404,))
def get_channel(channel_id: str):
    return jsonify(_dump(channel_service.get_channel(current_principal().company_id,
                                                     channel_id)))


@bp.get("/channels/<channel_id>/templates")
@doc(summary="The channel's WhatsApp message templates, as the hourly sync last found them",
     tags=("channels",), response=ChannelTemplateSchema(many=True), errors=(404,))
def list_templates(channel_id: str):
    return jsonify(channel_service.channel_templates(current_principal().company_id,
                                                     channel_id))


@bp.put("/channels/<channel_id>")
@doc(summary="Update a channel (admin)", tags=("channels",), body=ChannelUpdateSchema,
     response=ChannelSchema, errors=(403, 404))
@roles("admin")
def update_channel(channel_id: str):
    principal = current_principal()
    channel = channel_service.get_channel(principal.company_id, channel_id)
    body = load_json(ChannelUpdateSchema())
    return jsonify(_dump(channel_service.update_channel(principal, channel, body)))


@bp.delete("/channels/<channel_id>")
@doc(summary="Disconnect a channel; its history stays (admin)", tags=("channels",),
     status=204, errors=(403, 404))
@roles("admin")
def delete_channel(channel_id: str):
    principal = current_principal()
    channel = channel_service.get_channel(principal.company_id, channel_id)
    channel_service.delete_channel(principal, channel)
    return "", 204
