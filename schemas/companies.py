"""Companies: the Company of the documents and its validated CompanySettings (plus hub parts).

Settings are stored as the documents' camelCase JSON, so the settings schemas name their
attributes in camelCase. On PUT every part is optional; the parts given are merged.
"""
from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import ValidationError, fields, validate, validates, validates_schema

from hub.settings import get_settings
from schemas.base import CamelSchema, UtcDateTime
from schemas.users import NotificationTogglesSchema

HEX_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
CLOCK = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")


class ThemeSettingsSchema(CamelSchema):
    primary = fields.String(validate=validate.Regexp(HEX_COLOUR, error="not a hex colour"))
    logo = fields.String(allow_none=True, validate=validate.Length(max=1000))


class ChatSettingsSchema(CamelSchema):
    autoResponse = fields.Boolean()  # noqa: N815
    fileSharing = fields.Boolean()  # noqa: N815
    maxFileSize = fields.Integer(validate=validate.Range(min=1))  # noqa: N815  bytes

    @validates("maxFileSize")
    def within_hard_cap(self, value: int, **_) -> None:
        cap = get_settings().max_upload_bytes
        if value > cap:
            raise ValidationError(f"must be at most {cap} bytes (the hub's upload limit)")


class RoutingSettingsSchema(CamelSchema):
    rule = fields.String(required=True,
                         validate=validate.OneOf(("round_robin", "least_open", "manual")))


class BusinessHoursSchema(CamelSchema):
    timezone = fields.String(required=True, validate=validate.Length(min=1, max=64))
    days = fields.List(fields.Integer(validate=validate.Range(min=0, max=6)), required=True,
                       validate=validate.Length(max=7))
    start = fields.String(required=True, validate=validate.Regexp(CLOCK, error="not HH:MM"))
    end = fields.String(required=True, validate=validate.Regexp(CLOCK, error="not HH:MM"))

    @validates("timezone")
    def known_zone(self, value: str, **_) -> None:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError("unknown time zone") from None

    @validates_schema
    def start_before_end(self, data, **_) -> None:
        if data.get("start") and data.get("end") and data["start"] >= data["end"]:
            raise ValidationError("must be after start", "end")


class CompanySettingsSchema(CamelSchema):
    """CompanySettings of the documents plus routing, visibility, archiving and retention."""

    theme = fields.Nested(ThemeSettingsSchema)
    notifications = fields.Nested(NotificationTogglesSchema)
    chat = fields.Nested(ChatSettingsSchema)
    routing = fields.Nested(RoutingSettingsSchema)
    visibility = fields.String(validate=validate.OneOf(("all", "assigned")))
    archiveAfterDays = fields.Integer(validate=validate.Range(min=1, max=36500))  # noqa: N815
    retentionDays = fields.Integer(allow_none=True,  # noqa: N815
                                   validate=validate.Range(min=1, max=36500))
    businessHours = fields.Nested(BusinessHoursSchema, allow_none=True)  # noqa: N815


class CompanySchema(CamelSchema):
    """The Company of the documents."""

    id = fields.String(dump_only=True)
    name = fields.String(required=True)
    industry = fields.String(required=True)
    size = fields.String(required=True)
    chat_score = fields.Float(required=True)
    last_active = UtcDateTime(required=True)
    settings = fields.Nested(CompanySettingsSchema, required=True)


class CompanyUpdateSchema(CamelSchema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    industry = fields.String(validate=validate.Length(max=100))
    size = fields.String(validate=validate.Length(max=50))
