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

On PostgreSQL (psycopg2) each compiled query is also a server-side prepared statement, so the
server parses and plans it once per connection instead of at every run. On its first run on a
pooled connection the query goes as `PREPARE hub_q<N> AS <sql>` (arguments as $1..$n), then
always as `EXECUTE hub_q<N>(...)`; psycopg2 still quotes the values. The query's own constants
(text, integers, booleans, NULL: `status = 'active'`, `LIMIT 1`) are written into the prepared
text, not passed as parameters, so a generic plan can still use partial indexes such as
`conversation_one_open_per_contact ... WHERE status = 'active'`. Inside a transaction the
PREPARE runs in a savepoint: a query PostgreSQL cannot prepare (a parameter of unknown type)
leaves the caller's transaction intact and runs as plain text from then on. Each connection
remembers the names it prepared (`hub.db.HubPgConnection.prepared_names`); a new connection (a
new server session) prepares again. SQLite runs the plain text, as before.
"""
from __future__ import annotations

import itertools
import logging
import re
import threading
from typing import Any, Callable, Optional

import peewee
import psycopg2
import psycopg2.extensions as pg

from hub.db import db
from hub.settings import get_settings

log = logging.getLogger("hub.prepared")


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
        self.server: Optional[ServerStatement] = None
        if isinstance(db.obj, peewee.PostgresqlDatabase) \
                and isinstance(db.obj._adapter, peewee.Psycopg2Adapter):
            self.server = ServerStatement.compile(self.sql, self.order)

    def cursor(self, args: tuple) -> Any:
        server = self.server
        if server is not None and server.preparable and get_settings().pg_server_prepare:
            cursor = server.execute(args)
            if cursor is not None:
                return cursor
        return db.execute_sql(self.sql, _bind(self.order, args))

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


def _bind(order: list, args: tuple) -> list:
    """The parameters of one run: each entry is a slot index into `args`, or a constant in a
    one-tuple."""
    return [args[p] if isinstance(p, int) else p[0] for p in order]


class NotPreparable(Exception):
    """The SQL text cannot become a prepared statement (it stays plain text)."""


_names = itertools.count(1)
# Server statements by name, for `statement_of` (what an EXECUTE text runs).
_by_name: dict[str, "ServerStatement"] = {}
# Rarely moving counters (bench.inbound's probe reads them): PREPAREs sent, and those that
# failed (that run went as plain text).
counts = {"prepare": 0, "prepare_failed": 0}
_PLACEHOLDER = re.compile(r"%(.)", re.S)
_SAVEPOINT = "hub_prepare"


def _literal(value: Any) -> Optional[str]:
    """`value` as an SQL literal, for the constants worth inlining; None: keep a parameter.

    Only text, integers, booleans and NULL; text only when plain ASCII without backslashes,
    whose quoting then depends on neither the connection's encoding nor its string settings.
    """
    if value is None or type(value) in (int, bool):
        # As psycopg2 writes it: a negative number keeps its leading space (`x - -1`, never `--`).
        return pg.adapt(value).getquoted().decode("ascii")
    if type(value) is str and value.isascii() and "\\" not in value and "\x00" not in value:
        return pg.adapt(value).getquoted().decode("ascii")
    return None


def _numbered(sql: str, order: list) -> tuple[str, list]:
    """psycopg2's text (`%s` placeholders, `%%` for a %) as PREPARE's: ($1..$n text, params).

    Each `%s` becomes its own $k (a slot used twice is two parameters, each typed by its own
    place) unless its value is a constant that `_literal` writes into the text.
    """
    out: list[str] = []
    params: list = []
    entries = iter(order)
    position = 0
    for match in _PLACEHOLDER.finditer(sql):
        out.append(sql[position:match.start()])
        position = match.end()
        kind = match.group(1)
        if kind == "%":
            out.append("%")
            continue
        if kind != "s":
            raise NotPreparable(f"placeholder %{kind}")
        entry = next(entries, None)
        if entry is None:
            raise NotPreparable("more placeholders than parameters")
        literal = None if isinstance(entry, int) else _literal(entry[0])
        if literal is None:
            params.append(entry)
            out.append(f"${len(params)}")
        else:
            out.append(literal)
    rest = sql[position:]
    if "%" in rest:
        raise NotPreparable("a lone % at the end")
    if next(entries, None) is not None:
        raise NotPreparable("fewer placeholders than parameters")
    out.append(rest)
    return "".join(out), params


class ServerStatement:
    """The PostgreSQL prepared statement of one compiled query, prepared per connection."""

    def __init__(self, text: str, params: list) -> None:
        self.name = f"hub_q{next(_names)}"
        self.text = text            # the statement, with $1..$n
        self.params = params        # what each $k takes: a slot index, or a constant in a 1-tuple
        self.execute_sql = f"EXECUTE {self.name}" + (
            "(" + ", ".join(["%s"] * len(params)) + ")" if params else "")
        self.preparable = True      # False once PostgreSQL refused it: plain text for good
        _by_name[self.name] = self

    @classmethod
    def compile(cls, sql: str, order: list) -> Optional["ServerStatement"]:
        try:
            return cls(*_numbered(sql, order))
        except NotPreparable as exc:
            log.info("plain text for %.80s: %s", sql, exc)
            return None

    def execute(self, args: tuple) -> Any:
        """The cursor of EXECUTE (a PREPARE first on a connection new to it); None: run plain."""
        conn = db.connection()
        try:
            names = conn.prepared_names
        except AttributeError:  # not a hub.db connection: nowhere to remember names
            return None
        if self.name not in names and not self._prepare(conn, names):
            return None
        try:
            return db.execute_sql(self.execute_sql, _bind(self.params, args))
        except peewee.DatabaseError as exc:
            # 26000: the session does not have it (any more); 0A000: its result type changed
            # under it (a migration). Prepared again on the next run (after a DEALLOCATE).
            if getattr(getattr(exc, "orig", None), "pgcode", None) in ("26000", "0A000"):
                names.discard(self.name)
            raise

    def _prepare(self, conn: Any, names: set) -> bool:
        """PREPARE on `conn`, never failing the transaction it is in; False: run plain text."""
        status = conn.get_transaction_status()
        if status not in (pg.TRANSACTION_STATUS_IDLE, pg.TRANSACTION_STATUS_INTRANS):
            return False  # a failed transaction (the plain run raises as before), or unknown
        in_transaction = status == pg.TRANSACTION_STATUS_INTRANS
        statement = f"PREPARE {self.name} AS {self.text}"
        counts["prepare"] += 1
        try:
            with conn.cursor() as cursor:
                cursor.execute(f"SAVEPOINT {_SAVEPOINT}; {statement}; "
                               f"RELEASE SAVEPOINT {_SAVEPOINT}" if in_transaction else statement)
        except psycopg2.Error as exc:
            counts["prepare_failed"] += 1
            if conn.closed:
                return False  # the plain run meets the broken connection and raises as usual
            code = exc.pgcode or ""
            try:
                with conn.cursor() as cursor:
                    if in_transaction:
                        cursor.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}; "
                                       f"RELEASE SAVEPOINT {_SAVEPOINT}")
                    if code == "42P05":  # the session holds the name already: drop it
                        cursor.execute(f"DEALLOCATE {self.name}")
            except psycopg2.Error:
                return False
            if code != "42P05" and code[:2] in ("42", "22", "0A"):
                # The statement itself (a parameter of unknown type ...): never again.
                self.preparable = False
                log.warning("%s stays plain text, PostgreSQL cannot prepare it (%s): %s",
                            self.name, code, str(exc).strip())
            return False
        names.add(self.name)
        return True


def statement_of(executed: str) -> Optional[str]:
    """The SQL an `EXECUTE hub_q<N>(...)` text runs (None for any other text)."""
    if not executed.startswith("EXECUTE hub_q"):
        return None
    found = _by_name.get(executed[len("EXECUTE "):].split("(", 1)[0])
    return found.text if found is not None else None


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
