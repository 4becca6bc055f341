"""Query parameters and answer fields shared by paginated lists."""
from __future__ import annotations

from marshmallow import EXCLUDE, fields, validate

from schemas.base import CamelSchema

# Most rows one page may carry.
MAX_PAGE_SIZE = 100


class PageQuerySchema(CamelSchema):
    """`page` (1-based) and `limit`; unknown query keys are ignored (cache busters)."""

    class Meta:
        unknown = EXCLUDE

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


class PageInfoSchema(CamelSchema):
    """The paging fields of a paginated answer."""

    total_count = fields.Integer(required=True)
    page = fields.Integer(required=True)
    limit = fields.Integer(required=True)
    total_pages = fields.Integer(required=True)
