"""Peewee queries compiled to SQL once per dialect, then run with fresh parameters.

Why: in the inbound worker, building SQL text with peewee (walking the query tree, quoting,
converting) cost more CPU than anything else, about half of a message's worker time; the hot
statements have a fixed shape, only their values change. `prepared(key, build)` calls
`build(Slot)` once per dialect, where `Slot(i)` stands for the i-th argument, keeps the SQL text
and the position of each slot among the parameters, and from then on only substitutes values
and wraps the cursor as peewee would (model instances, with python_value conversions).

Slots skip peewee's per-field converters: pass values already as the driver wants them (ids,
numbers, datetimes and text need nothing; JSON fields need `Field.db_value`). An INSERT must
give a slot to every column whose default is callable (ids, times): peewee would evaluate the
default once, at compile time, and every later row would repeat it; `Prepared` refuses that.
"""
from __future__ import annotations

import threading
from typing import Any, Callable

import peewee

from hub.db import db


class Slot(peewee.Node):
    """The `index`-th argument of a prepared query."""

    def __init__(self, index: int) -> None:
        self.index = index

    def __sql__(self, ctx: peewee.Context) -> peewee.Context:
        ctx._values.append(self)  # replaced by the argument at each run
        ctx._sql.append(ctx.state.param or "?")
        return ctx


class Prepared:
    """One compiled query: its SQL, where each argument goes, and the query (for its rows)."""

    def __init__(self, build: Callable[[type[Slot]], peewee.Query]) -> None:
        self.query = build(Slot)
        if isinstance(self.query, peewee.Insert) and isinstance(self.query._insert, dict):
            given = {getattr(k, "name", k) for k in self.query._insert}
            frozen = [f.name for f, v in self.query.model._meta.defaults.items()
                      if callable(v) and f.name not in given]
            if frozen:
                raise ValueError(f"prepared INSERT without a slot for {frozen}: their default "
                                 "would be computed once for every row")
        self.sql, params = db.get_sql_context().sql(self.query).query()
        # A slot's index, or a constant of the query in a one-tuple.
        self.order = [p.index if isinstance(p, Slot) else (p,) for p in params]
        self._setup: dict[str, Any] | None = None

    def cursor(self, args: tuple) -> Any:
        params = [args[p] if isinstance(p, int) else p[0] for p in self.order]
        return db.execute_sql(self.sql, params)

    def rows(self, *args: Any) -> list[Any]:
        """The rows the query yields (model instances, tuples ... as the query says)."""
        wrapper = self.query._get_cursor_wrapper(self.cursor(args))
        if self._setup is not None:
            # What the first wrapper worked out from the cursor's columns (which model field
            # each column fills, with which converter) holds for every run of this SQL.
            vars(wrapper).update(self._setup)
            wrapper.initialized = True
            return list(wrapper)
        before = dict(vars(wrapper))
        rows = list(wrapper)
        if wrapper.initialized:  # at least one row came: keep what initialize() set
            self._setup = {k: v for k, v in vars(wrapper).items()
                           if k not in _PER_CURSOR and (k not in before or before[k] is not v)}
        return rows

    def first(self, *args: Any) -> Any:
        rows = self.rows(*args)
        return rows[0] if rows else None

    def run(self, *args: Any) -> int:
        """Execute a statement without rows; the number of rows it changed."""
        return db.rows_affected(self.cursor(args))


# Cursor wrapper attributes that belong to one execution, never carried over.
_PER_CURSOR = {"cursor", "count", "index", "initialized", "populated", "row_cache"}

_compiled: dict[tuple, Prepared] = {}
_lock = threading.Lock()


def prepared(key: Any, build: Callable[[type[Slot]], peewee.Query]) -> Prepared:
    """The query `build` makes, compiled once per `key` and database dialect."""
    full_key = (key, type(db.obj))
    found = _compiled.get(full_key)
    if found is None:
        with _lock:
            found = _compiled.setdefault(full_key, Prepared(build))
    return found
