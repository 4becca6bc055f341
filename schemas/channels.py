"""Channels API input and output."""
from marshmallow import fields, validate

from schemas.base import CamelSchema

CHANNEL_KINDS = ("whatsapp", "instagram", "messenger", "telegram", "widget")


class ChannelCreateSchema(CamelSchema):
    kind = fields.String(required=True, validate=validate.OneOf(CHANNEL_KINDS))
    name = fields.String(required=True, validate=validate.Length(1, 200))
    credentials = fields.Dict(keys=fields.String(), load_default=dict)
    settings = fields.Dict(keys=fields.String(), load_default=dict)


class ChannelUpdateSchema(CamelSchema):
    name = fields.String(validate=validate.Length(1, 200))
    credentials = fields.Dict(keys=fields.String())
    settings = fields.Dict(keys=fields.String())
    status = fields.String(validate=validate.OneOf(("active", "disabled")))


class ChannelSyncSchema(CamelSchema):
    """What the last channel sync found (WhatsApp phone number, Telegram webhook health)."""

    last_sync_at = fields.String(allow_none=True)
    last_sync_error = fields.String(allow_none=True)
    phone = fields.Dict(allow_none=True)
    templates = fields.Integer()
    templates_synced = fields.Boolean(allow_none=True)
    webhook_info = fields.Dict(allow_none=True)
    mode = fields.String()


class ChannelTemplateSchema(CamelSchema):
    """A WhatsApp message template as the last sync found it."""

    name = fields.String()
    language = fields.String()
    category = fields.String()
    status = fields.String()
    components = fields.List(fields.Dict())
    synced_at = fields.String(allow_none=True)


class ChannelSchema(CamelSchema):
    """A channel as the API shows it (secrets masked)."""

    id = fields.String()
    kind = fields.String()
    name = fields.String()
    status = fields.String()
    status_detail = fields.String(allow_none=True)
    settings = fields.Dict()
    credentials = fields.Dict(keys=fields.String(), values=fields.String())
    webhook_url = fields.String()
    verify_token = fields.String()
    created_at = fields.String()
    updated_at = fields.String()
    sync = fields.Nested(ChannelSyncSchema)


class WebhookEventQuerySchema(CamelSchema):
    status = fields.String(validate=validate.OneOf(("pending", "processed", "ignored", "failed")))
    channel = fields.String(validate=validate.Length(1, 64))
    page = fields.Integer(load_default=1, validate=validate.Range(1, 100000))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))


class WebhookEventSchema(CamelSchema):
    id = fields.String()
    channel_id = fields.String()
    kind = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    error = fields.String(allow_none=True)
    dedupe_key = fields.String()
    received_at = fields.String()
    processed_at = fields.String(allow_none=True)
    body = fields.String()


class WebhookEventPageSchema(CamelSchema):
    events = fields.List(fields.Nested(WebhookEventSchema))
    total_count = fields.Integer()
    page = fields.Integer()
    limit = fields.Integer()


class ReplaySchema(CamelSchema):
    ids = fields.List(fields.String(validate=validate.Length(1, 64)),
                      validate=validate.Length(1, 1000))
    status = fields.String(validate=validate.OneOf(("failed", "pending", "ignored")))


class ReplayResultSchema(CamelSchema):
    replayed = fields.Integer()
    ids = fields.List(fields.String())
