"""Raw provider deliveries for admins: list by status, replay one or many."""
from __future__ import annotations

from flask import jsonify

from hub import webhook_events as service
from hub.errors import ValidationError
from schemas.channels import (ReplayResultSchema, ReplaySchema, WebhookEventPageSchema,
                              WebhookEventQuerySchema)
from web.api.blueprint import bp
from web.auth import current_principal, roles
from web.loading import load_json, load_query
from web.openapi import doc


@bp.get("/webhook-events")
@doc(summary="Raw webhook events by status (admin)", tags=("webhooks",),
     query=WebhookEventQuerySchema, response=WebhookEventPageSchema, errors=(403,))
@roles("admin")
def list_webhook_events():
    query = load_query(WebhookEventQuerySchema())
    rows, total = service.list_events(current_principal().company_id, status=query.get("status"),
                                      channel_id=query.get("channel"), page=query["page"],
                                      limit=query["limit"])
    return jsonify({"events": [service.event_dict(r) for r in rows], "totalCount": total,
                    "page": query["page"], "limit": query["limit"]})


@bp.post("/webhook-events/<event_id>/replay")
@doc(summary="Process one raw event again (admin)", tags=("webhooks",),
     response=ReplayResultSchema, errors=(403, 404))
@roles("admin")
def replay_webhook_event(event_id: str):
    ids = service.replay(current_principal(), ids=[event_id], strict=True)
    return jsonify({"replayed": len(ids), "ids": ids})


@bp.post("/webhook-events/replay")
@doc(summary="Process many raw events again, by ids or by status (admin)", tags=("webhooks",),
     body=ReplaySchema, response=ReplayResultSchema, errors=(403,))
@roles("admin")
def replay_webhook_events():
    body = load_json(ReplaySchema())
    if bool(body.get("ids")) == bool(body.get("status")):
        raise ValidationError("give either ids or status", code="ids_or_status")
    ids = service.replay(current_principal(), ids=body.get("ids"), status=body.get("status"))
    return jsonify({"replayed": len(ids), "ids": ids})
