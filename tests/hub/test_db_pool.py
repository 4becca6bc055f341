"""The PostgreSQL pool: no ping for a connection given back moments ago, a ping after idling."""
import peewee
import pytest

from hub import db as hubdb

pytestmark = pytest.mark.skipif("not __import__('hub.db', fromlist=['x']).is_postgres()",
                                reason="the pool's ping is PostgreSQL's")


@pytest.fixture
def pings(monkeypatch):
    calls = []
    ping = peewee._BasePsycopgAdapter.is_connection_closed

    def counted(self, conn):
        calls.append(conn)
        return ping(self, conn)

    monkeypatch.setattr(peewee._BasePsycopgAdapter, "is_connection_closed", counted)
    return calls


def _borrow_and_return() -> int:
    """Check a connection out, use it, give it back; its backend pid."""
    hubdb.open_connection()
    pid = hubdb.db.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
    hubdb.close_connection()
    return pid


def test_a_connection_given_back_moments_ago_is_reused_without_a_round_trip(pings):
    hubdb.close_connection()
    first = _borrow_and_return()
    second = _borrow_and_return()
    assert second == first and pings == []


def test_an_idle_connection_is_pinged_and_a_dead_one_replaced(pings, monkeypatch):
    hubdb.close_connection()
    dead = _borrow_and_return()
    # The server ends that backend while the connection sits in the pool, idle for "long"
    import psycopg2

    admin = psycopg2.connect(**{**hubdb.db.obj.connect_params, "dbname": hubdb.db.obj.database})
    admin.autocommit = True
    admin.cursor().execute("SELECT pg_terminate_backend(%s)", (dead,))
    admin.close()
    monkeypatch.setattr(hubdb, "PG_PING_AFTER_IDLE", 0.0)
    # The ping finds it dead: the pool hands out a new connection that works
    fresh = _borrow_and_return()
    assert fresh != dead and len(pings) >= 1
