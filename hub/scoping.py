"""Tenant isolation: every query of company data goes through these helpers.

A row of another company is indistinguishable from a row that does not exist: both are 404.
"""
from __future__ import annotations

from typing import Optional, Type, TypeVar

import peewee

from hub.errors import NotFound

M = TypeVar("M", bound=peewee.Model)


def scoped(model: Type[M], company_id: str) -> peewee.ModelSelect:
    """`SELECT ... FROM model WHERE company_id = ?`: the start of every tenant query."""
    return model.select().where(model.company == company_id)


def get_scoped(model: Type[M], object_id: Optional[str], company_id: str,
               what: Optional[str] = None) -> M:
    """The row `object_id` of `company_id`, or NotFound (also for another company's id)."""
    if not object_id or not isinstance(object_id, str) or len(object_id) > 64:
        raise NotFound(f"{what or model.__name__.lower()} not found")
    row = scoped(model, company_id).where(model.id == object_id).first()
    if row is None:
        raise NotFound(f"{what or model.__name__.lower()} not found")
    return row
