from marshmallow import fields, validate

from schemas.base import CamelSchema


class LoginSchema(CamelSchema):
    email = fields.Email(required=True)
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class ApiTokenCreateSchema(CamelSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
