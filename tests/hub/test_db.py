"""After-commit hooks: jobs and events leave only once the data they point to is committed."""
import pytest

from hub.db import on_commit, transaction
from hub.models import Company


def test_callbacks_run_after_the_outermost_commit(db_conn):
    ran = []
    with transaction():
        Company.create(name="A", settings={})
        with transaction():
            on_commit(lambda: ran.append("inner"))
        assert ran == []  # the inner block's commit is not the real one
        on_commit(lambda: ran.append("outer"))
        assert ran == []
    assert ran == ["inner", "outer"]


def test_callbacks_are_dropped_on_rollback(db_conn):
    ran = []
    with pytest.raises(RuntimeError):
        with transaction():
            Company.create(name="B", settings={})
            on_commit(lambda: ran.append("x"))
            raise RuntimeError("boom")
    assert ran == []
    assert not Company.select().where(Company.name == "B").exists()


def test_outside_a_transaction_callbacks_run_at_once(db_conn):
    ran = []
    on_commit(lambda: ran.append(1))
    assert ran == [1]
