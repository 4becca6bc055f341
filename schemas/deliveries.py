"""Deliveries and their attempts as admins see them: `/api/deliveries`."""
from marshmallow import fields, validate

from schemas.base import CamelSchema, UtcDateTime

DELIVERY_STATUSES = ("queued", "sending", "retrying", "sent", "failed")


class DeliveryQuerySchema(CamelSchema):
    status = fields.String(validate=validate.OneOf(DELIVERY_STATUSES))
    dead_lettered = fields.Boolean()
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=200))


class DeliverySchema(CamelSchema):
    """One outgoing message's delivery: where it stands and why."""

    id = fields.String()
    message_id = fields.String()
    conversation_id = fields.Function(lambda d: d.message.conversation_id)
    channel_id = fields.String()
    channel_kind = fields.Function(lambda d: d.channel.kind)
    channel_name = fields.Function(lambda d: d.channel.name)
    message_preview = fields.Function(lambda d: (d.message.content or "")[:140])
    message_status = fields.Function(lambda d: d.message.status)
    status = fields.String()
    attempts = fields.Integer()
    next_attempt_at = UtcDateTime(allow_none=True)
    last_error_code = fields.String(allow_none=True)
    last_error_reason = fields.String(allow_none=True)
    dead_lettered = fields.Function(lambda d: d.dead_lettered_at is not None,
                                    metadata={"type": "boolean"})
    dead_lettered_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class DeliveryPageSchema(CamelSchema):
    """The PaginatedResponse<T> of the Chat API document."""

    items = fields.List(fields.Nested(DeliverySchema))
    total_count = fields.Integer()
    page = fields.Integer()
    total_pages = fields.Integer()


class DeliveryAttemptSchema(CamelSchema):
    number = fields.Integer()
    started_at = UtcDateTime()
    latency_ms = fields.Integer(allow_none=True)
    http_status = fields.Integer(allow_none=True)
    provider_code = fields.String(allow_none=True)
    outcome = fields.String()
    error = fields.String(allow_none=True)


class MediaLinkQuerySchema(CamelSchema):
    expires = fields.Integer(required=True)
    sig = fields.String(required=True, validate=validate.Length(max=128))
