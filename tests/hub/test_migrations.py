"""Versioned migrations bring an empty or older database to the current schema."""
import peewee
import pytest

from hub import db as hubdb
from hub.migrations import available, migrate
from hub.models import ALL_MODELS
from hub.settings import get_settings


@pytest.fixture
def scratch_db(tmp_path):
    """A separate, empty database of the same kind as the test run's, as the current proxy."""
    original = hubdb.db.obj
    hubdb.close_connection()
    if hubdb.is_postgres():
        import psycopg2
        from urllib.parse import urlparse, urlunparse

        url = get_settings().resolved_database_url
        parts = urlparse(url)
        name = parts.path.lstrip("/") + "_mig"
        admin = psycopg2.connect(urlunparse(parts._replace(path="/postgres")))
        admin.autocommit = True
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.cursor().execute(f'CREATE DATABASE "{name}"')
        scratch = hubdb.init_db(urlunparse(parts._replace(path=f"/{name}")))
        yield scratch
        hubdb.close_connection()
        scratch.close_all()
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
    else:
        scratch = hubdb.init_db(str(tmp_path / "scratch.sqlite3"))
        yield scratch
        hubdb.close_connection()
    hubdb.db.initialize(original)


def columns_of(database: peewee.Database, table: str) -> set[str]:
    return {c.name for c in database.get_columns(table)}


def test_empty_database_gets_every_table_and_column(scratch_db):
    applied = migrate()
    assert applied == available()
    with scratch_db.connection_context():
        for model in ALL_MODELS:
            expected = {f.column_name for f in model._meta.sorted_fields}
            assert columns_of(scratch_db, model._meta.table_name) == expected, model.__name__


def test_upgrade_from_first_migration_keeps_data(scratch_db):
    first = available()[0]
    assert migrate(target=first) == [first]
    with scratch_db.connection_context():
        scratch_db.execute_sql(
            "INSERT INTO company (id, name, industry, size, chat_score, settings, last_active,"
            " created_at) VALUES ('c1', 'Old Co', '', '', 0, '{}', '2025-01-01 00:00:00',"
            " '2025-01-01 00:00:00')")
    rest = migrate()
    assert rest == available()[1:]
    assert migrate() == []  # idempotent
    with scratch_db.connection_context():
        from hub.models import Company

        assert Company.get_by_id("c1").name == "Old Co"
        versions = {r[0] for r in scratch_db.execute_sql(
            "SELECT version FROM schema_migrations").fetchall()}
        assert versions == set(available())


def test_no_index_repeats_the_start_of_another(scratch_db):
    """A plain index whose columns lead a longer index costs every write and serves nothing
    the longer one does not (migration v0007 dropped those)."""
    migrate()
    redundant = []
    with scratch_db.connection_context():
        for model in ALL_MODELS:
            indexes = [i for i in scratch_db.get_indexes(model._meta.table_name)
                       if "WHERE" not in (i.sql or "").upper() and i.columns]
            for small in indexes:
                width = len(small.columns)
                redundant += [(small.name, big.name) for big in indexes
                              if not small.unique and len(big.columns) > width
                              and big.columns[:width] == small.columns]
    assert redundant == [], "\n".join(f"{a} < {b}" for a, b in redundant)


def test_routing_counts_open_conversations_through_their_index(scratch_db):
    """Routing's count of each agent's open conversations reads the index made for it, even
    with a plan made while the table was empty (a new hub filling fast). PostgreSQL's generic
    plan of that moment scanned the whole one-open-per-contact index instead: every open
    conversation of every company, per routed conversation (migration v0008)."""
    from hub.models import Channel, Company, Contact, Conversation, User
    from hub.prepared import Prepared, _bind
    from hub.routing import _candidates_query

    migrate()
    with scratch_db.connection_context():
        companies = [Company.create(name=f"Co {n}", settings={}) for n in range(3)]
        query = Prepared(_candidates_query)
        company_id = companies[0].id
        params = _bind(query.order, (company_id,))
        if hubdb.is_postgres():  # planned now, on the empty table, as the first routing job
            scratch_db.execute_sql("SET plan_cache_mode = force_generic_plan")
            scratch_db.execute_sql(f"PREPARE candidates AS {query.server.text}")
            scratch_db.execute_sql("EXECUTE candidates(%s, %s)", (company_id, company_id))
        for company in companies:
            agent = User.create(company=company.id, email=f"{company.id}@a.test", name="A",
                                password_hash="x", role="support", status="online",
                                settings={})
            channel = Channel.create(company=company.id, kind="whatsapp", name="wa",
                                     credentials_encrypted="", settings={})
            for n in range(40):
                contact = Contact.create(company=company.id, name=f"c{n}")
                Conversation.create(company=company.id, channel=channel.id, contact=contact.id,
                                    status="active", assignee=agent.id, tags=[])
        if hubdb.is_postgres():
            plan = "\n".join(row[0] for row in scratch_db.execute_sql(
                "EXPLAIN EXECUTE candidates(%s, %s)", (company_id, company_id)))
            scratch_db.execute_sql("DEALLOCATE candidates")
            assert "conversation_open_by_agent" in plan, plan
        else:  # SQLite's planner already searched by company; the new index is as good
            plan = "\n".join(str(row[-1]) for row in scratch_db.execute_sql(
                "EXPLAIN QUERY PLAN " + query.sql, params))
            assert "SEARCH t2 USING" in plan and "company_id=?" in plan, plan
        rows = list(scratch_db.execute_sql(query.sql, params))
    assert [row[-1] for row in rows] == [40]
