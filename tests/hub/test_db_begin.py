"""PostgreSQL: a transaction's BEGIN travels with its first statement, and it is still one
transaction from that statement to COMMIT (or ROLLBACK)."""
from __future__ import annotations

import psycopg2
import psycopg2.extensions as pg
import pytest

from hub import db as hubdb
from hub.db import transaction
from hub.models import Company

pytestmark = pytest.mark.skipif(
    "not __import__('hub.db', fromlist=['x']).is_postgres()",
    reason="the deferred BEGIN is PostgreSQL's; SQLite begins its write transactions at once")


@pytest.fixture
def sent(db_conn, monkeypatch):
    """Every text sent to the server through a cursor of the hub's connection."""
    texts: list[str] = []
    conn = hubdb.db.connection()

    class Cursor:
        def __init__(self, real):
            self._real = real

        def execute(self, sql, params=None):
            texts.append(sql)
            return self._real.execute(sql, params)

        def __getattr__(self, name):
            return getattr(self._real, name)

    real_cursor = type(hubdb.db.obj).__mro__[1].cursor  # the pool's, below the hub's override

    def cursor(self, named_cursor=None):
        return Cursor(real_cursor(self, named_cursor))

    monkeypatch.setattr(type(hubdb.db.obj).__mro__[1], "cursor", cursor)
    assert conn.get_transaction_status() == pg.TRANSACTION_STATUS_IDLE
    return texts


def _other_connection():
    params = {k: v for k, v in hubdb.db.obj.connect_params.items() if k != "connection_factory"}
    return psycopg2.connect(dbname=hubdb.db.obj.database, **params)


def test_begin_rides_with_the_first_statement_and_commit_ends_it(sent):
    with transaction():
        assert sent == []  # nothing sent yet
        Company.create(name="Deferred", settings={})
        assert len(sent) == 1 and sent[0].startswith("BEGIN;INSERT"), sent
        assert hubdb.db.connection().get_transaction_status() == pg.TRANSACTION_STATUS_INTRANS
        other = _other_connection()
        try:
            with other.cursor() as c:  # not committed: invisible to another session
                c.execute("SELECT count(*) FROM company WHERE name = 'Deferred'")
                assert c.fetchone()[0] == 0
        finally:
            other.close()
        Company.select().count()
    assert sent[-1] == "COMMIT" and len(sent) == 3
    assert Company.select().where(Company.name == "Deferred").count() == 1


def test_a_failed_transaction_is_rolled_back_whole(sent):
    with pytest.raises(RuntimeError):
        with transaction():
            Company.create(name="Gone", settings={})
            Company.create(name="Gone too", settings={})
            raise RuntimeError("boom")
    assert sent[-1] == "ROLLBACK"
    assert not Company.select().where(Company.name.startswith("Gone")).exists()


def test_a_transaction_that_ran_nothing_sends_nothing(sent):
    with transaction():
        pass
    with pytest.raises(RuntimeError):
        with transaction():
            raise RuntimeError("before any statement")
    assert sent == []
    assert hubdb.db.connection().get_transaction_status() == pg.TRANSACTION_STATUS_IDLE


def test_a_cursor_taken_directly_is_inside_the_transaction(sent):
    company = Company.create(name="Direct", settings={})
    sent.clear()
    with pytest.raises(RuntimeError):
        with transaction():
            hubdb.db.cursor().execute("UPDATE company SET name = 'Changed' WHERE id = %s",
                                      (company.id,))
            raise RuntimeError("roll it back")
    assert sent[-1] == "ROLLBACK", sent  # the BEGIN went first, on the raw connection
    assert Company.get_by_id(company.id).name == "Direct"


def test_a_savepoint_first_still_begins_the_transaction(sent):
    with transaction():
        with transaction():  # nested: a savepoint is the first statement
            Company.create(name="Inner", settings={})
    assert sent[0].startswith("BEGIN;SAVEPOINT"), sent
    assert sent[-1] == "COMMIT"
    assert Company.select().where(Company.name == "Inner").count() == 1
