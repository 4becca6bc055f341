"""Users, their status and their own settings (the User and UserSettings of the documents)."""
from marshmallow import fields, validate

from schemas.base import CamelSchema, UtcDateTime

ROLES = ("admin", "support", "user")
STATUSES = ("online", "offline", "away")
THEMES = ("light", "dark", "system")


class UserSchema(CamelSchema):
    """The User of the product documents (never the password hash)."""

    id = fields.String(dump_only=True)
    name = fields.String()
    email = fields.Email()
    role = fields.String(validate=validate.OneOf(ROLES))
    avatar = fields.String(allow_none=True)
    company_id = fields.String(dump_only=True)
    status = fields.String(validate=validate.OneOf(STATUSES))
    last_active = UtcDateTime(allow_none=True, dump_only=True)
    max_open_conversations = fields.Integer(dump_only=True)
    channel_ids = fields.List(fields.String(), allow_none=True, dump_only=True)
    is_active = fields.Boolean(dump_only=True)


class UserCreateSchema(CamelSchema):
    email = fields.Email(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    password = fields.String(required=True, load_only=True,
                             validate=validate.Length(min=10, max=1024))
    role = fields.String(load_default="support", validate=validate.OneOf(ROLES))
    max_open_conversations = fields.Integer(validate=validate.Range(min=0, max=10000))
    channel_ids = fields.List(fields.String(validate=validate.Length(max=64)), allow_none=True,
                              validate=validate.Length(max=500))


class UserUpdateSchema(CamelSchema):
    """`PUT /api/users/<id>`: admins may send every field; a user only name and avatar."""

    name = fields.String(validate=validate.Length(min=1, max=200))
    avatar = fields.String(allow_none=True, validate=validate.Length(max=500))
    role = fields.String(validate=validate.OneOf(ROLES))
    max_open_conversations = fields.Integer(validate=validate.Range(min=0, max=10000))
    channel_ids = fields.List(fields.String(validate=validate.Length(max=64)), allow_none=True,
                              validate=validate.Length(max=500))
    is_active = fields.Boolean()


class UserStatusSchema(CamelSchema):
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))


# Settings are stored as the camelCase JSON of the documents, so their attributes are camelCase.
class NotificationTogglesSchema(CamelSchema):
    email = fields.Boolean()
    desktop = fields.Boolean()
    sound = fields.Boolean()


class PrivacySettingsSchema(CamelSchema):
    showStatus = fields.Boolean()  # noqa: N815
    readReceipts = fields.Boolean()  # noqa: N815


class UserSettingsSchema(CamelSchema):
    """The UserSettings of the documents; on PUT every part is optional and merged."""

    theme = fields.String(validate=validate.OneOf(THEMES))
    notifications = fields.Nested(NotificationTogglesSchema)
    privacy = fields.Nested(PrivacySettingsSchema)
