"""Widgets, their pre-chat forms, authorized domains and stats on the wire."""
from __future__ import annotations

import re

from marshmallow import ValidationError, fields, validate, validates_schema

from hub.widget_forms import FIELD_KEY, FIELD_TYPES, check_definitions
from schemas.base import CamelSchema, UtcDateTime

COLOR = validate.Regexp(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$", error="a colour like #2563eb")
WIDGET_TYPES = ("floating", "embedded", "popup")


class ColorsSchema(CamelSchema):
    primary = fields.String(validate=COLOR)
    background = fields.String(validate=COLOR)
    text = fields.String(validate=COLOR)


class WidgetSettingsSchema(CamelSchema):
    theme = fields.String(validate=validate.OneOf(("light", "dark", "auto")))
    position = fields.String(validate=validate.OneOf(("bottom-right", "bottom-left")))
    colors = fields.Nested(ColorsSchema)
    title = fields.String(validate=validate.Length(max=80))
    greeting = fields.String(validate=validate.Length(max=500))
    offline_message = fields.String(validate=validate.Length(max=500))
    popup_delay_seconds = fields.Integer(validate=validate.Range(min=0, max=600))


class PreChatFieldSchema(CamelSchema):
    key = fields.String(required=True, validate=validate.Regexp(
        FIELD_KEY, error="lowercase letters, digits and _, starting with a letter"))
    label = fields.String(required=True, validate=validate.Length(min=1, max=100))
    type = fields.String(required=True, validate=validate.OneOf(FIELD_TYPES))
    required = fields.Boolean(load_default=False)
    options = fields.List(fields.String(validate=validate.Length(min=1, max=200)),
                          validate=validate.Length(max=50))
    placeholder = fields.String(validate=validate.Length(max=100))


class _WidgetWrite(CamelSchema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    type = fields.String(validate=validate.OneOf(WIDGET_TYPES))
    settings = fields.Nested(WidgetSettingsSchema)
    status = fields.String(validate=validate.OneOf(("active", "inactive")))
    pre_chat_fields = fields.List(fields.Nested(PreChatFieldSchema),
                                  validate=validate.Length(max=20))
    allow_localhost = fields.Boolean()

    @validates_schema
    def check_fields(self, data, **kwargs):
        problems = check_definitions(data.get("pre_chat_fields") or [])
        if problems:
            raise ValidationError(problems, field_name="preChatFields")
        if "name" in data and not data["name"].strip():
            raise ValidationError("the name cannot be blank", field_name="name")


class WidgetCreateSchema(_WidgetWrite):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class WidgetUpdateSchema(_WidgetWrite):
    pass


class DomainSchema(CamelSchema):
    id = fields.String()
    domain = fields.String()
    verified = fields.Boolean()
    method = fields.String(allow_none=True)
    token = fields.String()
    verified_at = UtcDateTime(allow_none=True)
    last_checked_at = UtcDateTime(allow_none=True)
    last_error = fields.String(allow_none=True)
    created_at = UtcDateTime()
    instructions = fields.Dict()


class DomainCreateSchema(CamelSchema):
    domain = fields.String(required=True, validate=validate.Length(min=1, max=300))


class WidgetSchema(CamelSchema):
    id = fields.String()
    name = fields.String()
    type = fields.String()
    status = fields.String()
    settings = fields.Dict()
    pre_chat_fields = fields.List(fields.Dict())
    allow_localhost = fields.Boolean()
    channel_id = fields.String(allow_none=True)
    refused_count = fields.Integer()
    embed_code = fields.String()
    secret = fields.String(metadata={"description": "in clear only in the create/rotate answer"})
    secret_masked = fields.Boolean()
    domains = fields.List(fields.Nested(DomainSchema))
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class StatsQuerySchema(CamelSchema):
    from_ = fields.Date(data_key="from")
    to = fields.Date()


class StatDaySchema(CamelSchema):
    day = fields.String()
    loads = fields.Integer()
    conversations = fields.Integer()
    messages = fields.Integer()
    refused = fields.Integer()


class WidgetStatsSchema(CamelSchema):
    widget_id = fields.String()
    from_ = fields.String(data_key="from")
    to = fields.String()
    days = fields.List(fields.Nested(StatDaySchema))
    totals = fields.Nested(StatDaySchema)
    refused_total = fields.Integer()


def camel_keys(value):
    """snake_case keys of nested settings dicts turned camelCase (settings are stored as sent)."""
    if isinstance(value, dict):
        return {re.sub(r"_([a-z])", lambda m: m.group(1).upper(), k): camel_keys(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [camel_keys(v) for v in value]
    return value
