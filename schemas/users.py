from marshmallow import fields

from schemas.base import CamelSchema, UtcDateTime


class UserSchema(CamelSchema):
    """The User of the product documents (never the password hash)."""

    id = fields.String(dump_only=True)
    name = fields.String()
    email = fields.Email()
    role = fields.String()
    avatar = fields.String(allow_none=True)
    company_id = fields.String(dump_only=True)
    status = fields.String()
    last_active = UtcDateTime(allow_none=True, dump_only=True)


class UserCreateSchema(CamelSchema):
    email = fields.Email(required=True)
    name = fields.String(required=True, validate=lambda s: 0 < len(s) <= 200)
    password = fields.String(required=True, load_only=True,
                             validate=lambda s: 10 <= len(s) <= 1024)
    role = fields.String(load_default="support",
                         validate=lambda r: r in ("admin", "support", "user"))
    max_open_conversations = fields.Integer(validate=lambda n: 0 <= n <= 10000)
    channel_ids = fields.List(fields.String(), allow_none=True)
