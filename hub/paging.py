"""Listing helpers: offset pagination with totals, and LIKE filters that escape wildcards."""
from __future__ import annotations

import math
from typing import Any

import peewee


def paginate(query: peewee.ModelSelect, page: int, limit: int) -> tuple[list[Any], int]:
    """Rows of `page` (1-based) of `limit` rows, and the count of the whole query."""
    total = query.order_by().count()
    rows = list(query.paginate(page, limit))
    return rows, total


def page_info(total: int, page: int, limit: int) -> dict[str, int]:
    """The paging fields every paginated answer carries next to its items."""
    return {"totalCount": total, "page": page, "limit": limit,
            "totalPages": max(1, math.ceil(total / limit))}


def icontains(field: Any, text: str) -> peewee.Expression:
    """`field` contains `text`, case-insensitive, with LIKE wildcards in `text` taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return peewee.NodeList((peewee.fn.LOWER(field), peewee.SQL("LIKE"), f"%{escaped}%",
                            peewee.SQL("ESCAPE '\\'")))


def istartswith(field: Any, text: str) -> peewee.Expression:
    """`field` starts with `text`, case-insensitive, wildcards in `text` taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return peewee.NodeList((peewee.fn.LOWER(field), peewee.SQL("LIKE"), f"{escaped}%",
                            peewee.SQL("ESCAPE '\\'")))
