"""Notifications: the Notification of the documents and its paginated list."""
from marshmallow import EXCLUDE, fields, validate

from schemas.base import CamelSchema
from schemas.paging import PageInfoSchema, PageQuerySchema


class NotificationSchema(CamelSchema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    message = fields.String(required=True)
    timestamp = fields.String(required=True)  # ISO-8601 UTC
    read = fields.Boolean(required=True)
    type = fields.String(required=True, validate=validate.OneOf(("message", "alert", "update")))
    link = fields.String(allow_none=True)


class NotificationQuerySchema(PageQuerySchema):
    class Meta:
        unknown = EXCLUDE

    unread = fields.Boolean(load_default=False)


class NotificationPageSchema(PageInfoSchema):
    notifications = fields.List(fields.Nested(NotificationSchema), required=True)
    unread_count = fields.Integer(required=True)


class ReadAllResultSchema(CamelSchema):
    updated = fields.Integer(required=True)
    unread_count = fields.Integer(required=True)
