"""Compiled queries as PostgreSQL prepared statements: PREPARE once per connection, then EXECUTE.

The text conversion is checked on both backends; everything that talks to a server session is
PostgreSQL's (SQLite runs the plain text, as before).
"""
from __future__ import annotations

import itertools

import peewee
import pytest

from hub import db as hubdb
from hub import prepared as prep
from hub.models import Company
from hub.prepared import NotPreparable, _numbered, prepared

postgres_only = pytest.mark.skipif(
    "not __import__('hub.db', fromlist=['x']).is_postgres()",
    reason="server-side prepared statements are PostgreSQL's; SQLite runs the plain text")

_keys = itertools.count(1)


def test_the_text_gets_numbered_parameters_and_inlined_constants():
    sql = ('SELECT "a" FROM "t" WHERE ("b" = %s) AND ("c" = %s) AND ("d" LIKE \'x%%\') '
           'AND ("e" = %s) AND ("f" = %s) AND ("g" IS %s) AND ("h" = %s) LIMIT %s')
    order = [0, ("active",), ("it's",), (True,), (None,), 1, (1,)]
    text, params = _numbered(sql, order)
    assert text == ('SELECT "a" FROM "t" WHERE ("b" = $1) AND ("c" = \'active\') '
                    'AND ("d" LIKE \'x%\') AND ("e" = \'it\'\'s\') AND ("f" = true) '
                    'AND ("g" IS NULL) AND ("h" = $2) LIMIT 1')
    assert params == [0, 1]


def test_constants_that_are_not_plain_stay_parameters():
    sql = 'SELECT 1 WHERE %s AND %s AND %s AND %s AND %s'
    from datetime import datetime
    order = [("caf\u00e9",), ("back\\slash",), (1.5,), (datetime(2024, 1, 1),), (-3,)]
    text, params = _numbered(sql, order)
    assert text == "SELECT 1 WHERE $1 AND $2 AND $3 AND $4 AND  -3"
    assert params == order[:4]


def test_text_the_conversion_does_not_understand_stays_plain():
    with pytest.raises(NotPreparable):
        _numbered("SELECT %d", [0])
    with pytest.raises(NotPreparable):
        _numbered("SELECT %s, %s", [0])
    with pytest.raises(NotPreparable):
        _numbered("SELECT %s", [0, 1])
    with pytest.raises(NotPreparable):
        _numbered("SELECT 5 %", [])


def test_sqlite_runs_the_plain_text(db_conn, tenant):
    query = _company_query()
    assert query.first(tenant.company.id).id == tenant.company.id
    if not hubdb.is_postgres():
        assert query.server is None


def _company_query() -> prep.Prepared:
    """A compiled query no other test has run (so no connection has prepared it yet)."""
    return prepared(("test.company", next(_keys)), lambda S: (
        Company.select().where((Company.id == S(0)) & (Company.name != "")).limit(1)))


class Sent:
    """The SQL texts sent through peewee."""

    def __init__(self, monkeypatch):
        self.texts: list[str] = []
        database = hubdb.db.obj
        original = database.execute_sql

        def execute_sql(sql, params=None, *args, **kwargs):
            self.texts.append(sql)
            return original(sql, params, *args, **kwargs)

        monkeypatch.setattr(database, "execute_sql", execute_sql)


def _session_statements() -> dict[str, str]:
    return dict(hubdb.db.execute_sql("SELECT name, statement FROM pg_prepared_statements"))


def _backend_pid() -> int:
    return hubdb.db.execute_sql("SELECT pg_backend_pid()").fetchone()[0]


@postgres_only
def test_a_query_runs_as_execute_after_its_first_use_on_a_connection(db_conn, tenant, monkeypatch):
    query = _company_query()
    name = query.server.name
    sent = Sent(monkeypatch)
    prepares = prep.counts["prepare"]
    assert query.first(tenant.company.id).id == tenant.company.id
    assert prep.counts["prepare"] == prepares + 1
    statement = _session_statements()[name]
    # the constants are written into the text, the argument is a parameter
    assert "$1" in statement and "!= '')" in statement and "LIMIT 1" in statement
    for _ in range(3):
        assert query.first(tenant.company.id).id == tenant.company.id
    assert prep.counts["prepare"] == prepares + 1  # prepared once on this connection
    runs = [t for t in sent.texts if "pg_prepared_statements" not in t]
    assert runs == [f"EXECUTE {name}(%s)"] * 4
    assert query.first("no-such-company") is None


@postgres_only
def test_with_server_prepare_off_the_plain_text_runs(db_conn, tenant, monkeypatch, settings):
    """HUB_PG_SERVER_PREPARE=0 (PgBouncer in transaction mode): no PREPARE, no EXECUTE."""
    from hub.settings import configure

    configure(settings.with_overrides(pg_server_prepare=False))
    try:
        query = _company_query()
        sent = Sent(monkeypatch)
        prepares = prep.counts["prepare"]
        assert query.first(tenant.company.id).id == tenant.company.id
        assert prep.counts["prepare"] == prepares
        assert not any(t.startswith(("PREPARE", "EXECUTE")) for t in sent.texts)
    finally:
        configure(settings)


@postgres_only
def test_a_statement_prepared_in_a_transaction_that_rolls_back_stays_prepared(db_conn, tenant):
    query = _company_query()

    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        with hubdb.transaction():
            assert query.first(tenant.company.id).id == tenant.company.id
            raise Abort
    prepares = prep.counts["prepare"]
    assert query.first(tenant.company.id).id == tenant.company.id
    assert prep.counts["prepare"] == prepares
    assert query.server.name in _session_statements()


@postgres_only
@pytest.mark.parametrize("in_transaction", [True, False])
def test_a_query_postgresql_cannot_prepare_runs_plain_and_the_transaction_commits(
        db_conn, tenant, in_transaction):
    # `SELECT $1 IS NULL`: PostgreSQL cannot tell the parameter's type, PREPARE fails (42P18).
    untyped = prepared(("test.untyped", next(_keys)), lambda S: (
        peewee.Select(columns=[peewee.NodeList([S(0), peewee.SQL("IS NULL")])]).tuples()))
    assert untyped.server is not None and untyped.server.preparable
    company = tenant.company.id
    failed = prep.counts["prepare_failed"]
    with (hubdb.transaction() if in_transaction else hubdb.connection()):
        Company.update(name="Before").where(Company.id == company).execute()
        assert untyped.first("plain text") == (False,)
        Company.update(name="After").where(Company.id == company).execute()
    assert prep.counts["prepare_failed"] == failed + 1
    assert untyped.server.preparable is False
    assert Company.get_by_id(company).name == "After"
    prepares = prep.counts["prepare"]
    assert untyped.first(None) == (True,)  # plain text for good: no second PREPARE
    assert prep.counts["prepare"] == prepares
    assert untyped.server.name not in _session_statements()


@postgres_only
def test_a_new_pooled_connection_prepares_again(tenant):
    query = _company_query()
    hubdb.close_connection()
    hubdb.db.obj.close_idle()
    with hubdb.connection():
        first_pid = _backend_pid()
        assert query.first(tenant.company.id).id == tenant.company.id
        assert query.server.name in _session_statements()
    hubdb.db.obj.close_idle()  # the next checkout opens a new connection: a new session
    prepares = prep.counts["prepare"]
    with hubdb.connection():
        assert _backend_pid() != first_pid
        assert query.server.name not in _session_statements()
        assert query.first(tenant.company.id).id == tenant.company.id
        assert query.server.name in _session_statements()
    assert prep.counts["prepare"] == prepares + 1


@postgres_only
def test_a_statement_the_session_lost_or_kept_unknown_is_prepared_again(db_conn, tenant):
    query = _company_query()
    company = tenant.company.id
    assert query.first(company).id == company
    name = query.server.name
    # Dropped behind the hub's back: that run fails as a statement would, the next prepares.
    hubdb.db.execute_sql(f"DEALLOCATE {name}")
    with pytest.raises(peewee.DatabaseError):
        query.first(company)
    assert query.first(company).id == company
    assert name in _session_statements()
    # In the session but forgotten by the connection: dropped, run plain, prepared again.
    hubdb.db.connection().prepared_names.discard(name)
    assert query.first(company).id == company
    assert query.first(company).id == company
    assert name in _session_statements() and name in hubdb.db.connection().prepared_names
