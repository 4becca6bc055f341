"""Canned responses."""
from marshmallow import EXCLUDE, fields, validate

from schemas.base import CamelSchema

# Shortcuts are typed after a slash in the composer: letters, digits, dot, dash, underscore.
SHORTCUT = validate.Regexp(r"^[A-Za-z0-9._-]{1,64}$",
                           error="1 to 64 letters, digits, dots, dashes or underscores")


class CannedQuerySchema(CamelSchema):
    class Meta:
        unknown = EXCLUDE

    q = fields.String(validate=validate.Length(min=1, max=64))


class CannedSchema(CamelSchema):
    id = fields.String(required=True)
    shortcut = fields.String(required=True)
    title = fields.String(required=True)
    content = fields.String(required=True)
    created_by = fields.String(allow_none=True)
    created_at = fields.String(required=True)


class CannedCreateSchema(CamelSchema):
    shortcut = fields.String(required=True, validate=SHORTCUT)
    title = fields.String(load_default="", validate=validate.Length(max=200))
    content = fields.String(required=True, validate=validate.Length(min=1, max=10_000))


class CannedUpdateSchema(CamelSchema):
    shortcut = fields.String(validate=SHORTCUT)
    title = fields.String(validate=validate.Length(max=200))
    content = fields.String(validate=validate.Length(min=1, max=10_000))
