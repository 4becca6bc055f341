"""Contacts (Prospect and Client of the documents), their notes and quotes.

Output schemas describe the dicts of `hub.crm_presenters` (documentation and test checks);
input schemas load request bodies into model field names.
"""
from __future__ import annotations

from marshmallow import EXCLUDE, ValidationError, fields, validate, validates

from schemas.base import CamelSchema
from schemas.paging import PageInfoSchema, PageQuerySchema

QUOTE_STATUSES = ("draft", "sent", "accepted", "rejected")
# Bounds that keep a contact row a reasonable size.
MAX_TAGS = 50
MAX_CUSTOM_FIELDS = 50


class ContactQuerySchema(PageQuerySchema):
    class Meta:
        unknown = EXCLUDE

    type = fields.String(validate=validate.OneOf(("prospect", "client")))
    q = fields.String(validate=validate.Length(min=1, max=200))


class IdentitySchema(CamelSchema):
    id = fields.String(required=True)
    channel_id = fields.String(required=True)
    platform = fields.String(required=True)
    channel_name = fields.String(required=True)
    external_id = fields.String(required=True)
    display_name = fields.String(required=True)
    username = fields.String(allow_none=True)
    created_at = fields.String(required=True)


class NoteSchema(CamelSchema):
    id = fields.String(required=True)
    contact_id = fields.String(required=True)
    content = fields.String(required=True)
    author_id = fields.String(allow_none=True)
    author_name = fields.String(allow_none=True)
    created_at = fields.String(required=True)


class QuoteSchema(CamelSchema):
    id = fields.String(required=True)
    contact_id = fields.String(required=True)
    title = fields.String(required=True)
    amount = fields.Float(required=True)
    currency = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(QUOTE_STATUSES))
    valid_until = fields.String(allow_none=True)
    author_id = fields.String(allow_none=True)
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)


class ContactSchema(CamelSchema):
    """A contact with both the Prospect and the Client fields."""

    id = fields.String(required=True)
    type = fields.String(required=True, validate=validate.OneOf(("prospect", "client")))
    identifier = fields.String(required=True)
    identifier_type = fields.String(required=True,
                                    validate=validate.OneOf(("phone", "email", "social")))
    name = fields.String(required=True)
    avatar = fields.String(allow_none=True)
    platform = fields.String(allow_none=True)
    is_client = fields.Boolean(required=True)
    client_id = fields.String(allow_none=True)
    last_seen = fields.String(allow_none=True)
    first_name = fields.String(required=True)
    last_name = fields.String(required=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    company = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("active", "inactive")))
    tags = fields.List(fields.String(), required=True)
    total_value = fields.Float(required=True)
    custom_fields = fields.Dict(required=True)
    identities = fields.List(fields.Nested(IdentitySchema), required=True)
    converted_at = fields.String(allow_none=True)
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)


class ContactDetailSchema(ContactSchema):
    notes = fields.List(fields.Nested(NoteSchema), required=True)
    quotes = fields.List(fields.Nested(QuoteSchema), required=True)


class ContactPageSchema(PageInfoSchema):
    contacts = fields.List(fields.Nested(ContactSchema), required=True)


def _tags(value: list[str]) -> None:
    if len(value) > MAX_TAGS:
        raise ValidationError(f"at most {MAX_TAGS} tags")


class ContactUpdateSchema(CamelSchema):
    name = fields.String(validate=validate.Length(max=200))
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    phone = fields.String(allow_none=True, validate=validate.Regexp(
        r"^\+?[0-9 ().-]{3,40}$", error="not a phone number"))
    avatar = fields.String(allow_none=True, validate=validate.Length(max=1000))
    first_name = fields.String(validate=validate.Length(max=100))
    last_name = fields.String(validate=validate.Length(max=100))
    company_name = fields.String(data_key="company", validate=validate.Length(max=200))
    client_status = fields.String(data_key="status",
                                  validate=validate.OneOf(("active", "inactive")))
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=50)), validate=_tags)
    custom_fields = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=64)),
                                values=fields.Raw(allow_none=True))

    @validates("custom_fields")
    def small_scalar_values(self, value: dict, **_) -> None:
        if len(value) > MAX_CUSTOM_FIELDS:
            raise ValidationError(f"at most {MAX_CUSTOM_FIELDS} fields")
        for k, v in value.items():
            if not (v is None or isinstance(v, (str, int, float, bool))) or (
                    isinstance(v, str) and len(v) > 1000):
                raise ValidationError(f"{k}: values are strings (up to 1000), numbers or booleans")


class ConvertSchema(CamelSchema):
    first_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    last_name = fields.String(load_default="", validate=validate.Length(max=100))
    email = fields.Email(validate=validate.Length(max=254))
    phone = fields.String(validate=validate.Regexp(r"^\+?[0-9 ().-]{3,40}$",
                                                   error="not a phone number"))
    company_name = fields.String(data_key="company", load_default="",
                                 validate=validate.Length(max=200))


class NoteCreateSchema(CamelSchema):
    content = fields.String(required=True, validate=validate.Length(min=1, max=10_000))


class QuoteCreateSchema(CamelSchema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    amount = fields.Decimal(required=True, places=2, as_string=False,
                            validate=validate.Range(min=0, max=10**11))
    currency = fields.String(load_default="EUR", validate=validate.Regexp(
        r"^[A-Z]{3}$", error="an ISO 4217 code such as EUR"))
    status = fields.String(load_default="draft", validate=validate.OneOf(QUOTE_STATUSES))
    valid_until = fields.Date(allow_none=True)


class QuoteUpdateSchema(QuoteCreateSchema):
    """Every field of a quote, each optional."""

    title = fields.String(validate=validate.Length(min=1, max=200))
    amount = fields.Decimal(places=2, as_string=False, validate=validate.Range(min=0, max=10**11))
    currency = fields.String(validate=validate.Regexp(r"^[A-Z]{3}$",
                                                      error="an ISO 4217 code such as EUR"))
    status = fields.String(validate=validate.OneOf(QUOTE_STATUSES))
