"""Audit log entries and their filters."""
from marshmallow import EXCLUDE, ValidationError, fields, validate, validates_schema

from schemas.base import CamelSchema, UtcDateTime
from schemas.paging import PageInfoSchema, PageQuerySchema


class AuditQuerySchema(PageQuerySchema):
    class Meta:
        unknown = EXCLUDE

    action = fields.String(validate=validate.Length(min=1, max=100))
    user_id = fields.String(validate=validate.Length(min=1, max=64))
    since = UtcDateTime(data_key="from")
    until = UtcDateTime(data_key="to")

    @validates_schema
    def ordered(self, data, **_) -> None:
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise ValidationError("must not be before `from`", "to")


class AuditLogSchema(CamelSchema):
    id = fields.String(required=True)
    user = fields.String(required=True)
    user_id = fields.String(allow_none=True)
    action = fields.String(required=True)
    timestamp = fields.String(required=True)
    details = fields.String(required=True)
    target_type = fields.String(required=True)
    target_id = fields.String(required=True)
    data = fields.Dict(required=True)


class AuditPageSchema(PageInfoSchema):
    audit_logs = fields.List(fields.Nested(AuditLogSchema), required=True)
