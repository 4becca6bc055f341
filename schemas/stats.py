from marshmallow import ValidationError, fields, validate, validates_schema

from schemas.base import CamelSchema


class StatsQuerySchema(CamelSchema):
    from_ = fields.Date(data_key="from", attribute="first")
    to = fields.Date(attribute="last")
    channel = fields.String(validate=validate.Length(min=1, max=64))

    @validates_schema
    def ordered(self, data, **kwargs):
        if data.get("first") and data.get("last") and data["first"] > data["last"]:
            raise ValidationError("`from` must not be after `to`", "from")
        if data.get("first") and data.get("last") and (data["last"] - data["first"]).days > 366:
            raise ValidationError("the period is at most 366 days", "to")


class StatsSchema(CamelSchema):
    total_sessions = fields.Integer(required=True)
    active_sessions = fields.Integer(required=True)
    average_response_time = fields.Float(required=True, metadata={"description": "minutes"})
    messages_exchanged = fields.Integer(required=True)


class ChatMetricSchema(CamelSchema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    value = fields.Float(required=True)
    status = fields.String(required=True, validate=validate.OneOf(
        ["success", "warning", "error", "info"]))
    trend = fields.String(required=True, validate=validate.OneOf(["up", "down", "stable"]))


class DaysQuerySchema(CamelSchema):
    days = fields.Integer(load_default=7, validate=validate.Range(min=1, max=90))
