"""Deliveries for admins: failed and dead-lettered sends, their attempts, a manual retry."""
from __future__ import annotations

import hmac
import time

from flask import jsonify, send_file

from hub import delivery_admin
from hub.attachments import file_path
from hub.delivery_policy import media_signature
from hub.errors import NotFound
from hub.models import Attachment
from schemas.deliveries import (DeliveryAttemptSchema, DeliveryPageSchema, DeliveryQuerySchema,
                                DeliverySchema, MediaLinkQuerySchema)
from web.api.blueprint import bp
from web.auth import current_principal, public, roles
from web.loading import load_query
from web.openapi import doc


@bp.get("/deliveries")
@doc(summary="Deliveries of the company, e.g. ?status=failed (admin)", tags=("deliveries",),
     query=DeliveryQuerySchema(), response=DeliveryPageSchema(), errors=(403,))
@roles("admin")
def list_deliveries():
    args = load_query(DeliveryQuerySchema())
    page = delivery_admin.list_deliveries(
        current_principal().company_id, status=args.get("status"),
        dead_lettered=args.get("dead_lettered"), page=args["page"], page_size=args["page_size"])
    return jsonify(DeliveryPageSchema().dump(page))


@bp.get("/deliveries/<message_id>/attempts")
@doc(summary="Every attempt to deliver a message (admin)", tags=("deliveries",),
     response=DeliveryAttemptSchema(many=True), errors=(403, 404))
@roles("admin")
def delivery_attempts(message_id: str):
    rows = delivery_admin.attempts_of(current_principal().company_id, message_id)
    return jsonify(DeliveryAttemptSchema(many=True).dump(rows))


@bp.post("/deliveries/<message_id>/retry")
@doc(summary="Send a failed message again (admin, support)", tags=("deliveries",),
     response=DeliverySchema(), status=202, errors=(403, 404, 409))
@roles("admin", "support")
def retry_delivery(message_id: str):
    delivery = delivery_admin.retry_failed(current_principal(), message_id)
    return jsonify(DeliverySchema().dump(delivery)), 202


@bp.get("/deliveries/media/<attachment_id>")
@doc(summary="An outgoing attachment by signed link, for providers that fetch media by URL",
     tags=("deliveries",), query=MediaLinkQuerySchema(), content_type="application/octet-stream",
     errors=(404,))
@public
def delivery_media(attachment_id: str):
    args = load_query(MediaLinkQuerySchema())
    expected = media_signature(attachment_id, args["expires"])
    # Bytes: compare_digest refuses str with non-ASCII characters (a 500 for a forged link).
    if args["expires"] < time.time() or not hmac.compare_digest(
            expected.encode(), args["sig"].encode("utf-8", "surrogatepass")):
        raise NotFound("media not found")
    attachment = Attachment.get_or_none(Attachment.id == attachment_id)
    path = file_path(attachment) if attachment is not None else None
    if path is None or not path.exists():
        raise NotFound("media not found")
    return send_file(path, mimetype=attachment.content_type, download_name=attachment.name)
