"""Write the DDL of the current models as SQL files: `python -m hub.migrations.freeze vNNNN`.

Used once to freeze the initial schema; later schema changes are hand-written migrations.
"""
from __future__ import annotations

import sys

import peewee

from hub.migrations import HERE
from hub.models import ALL_MODELS


def ddl(database: peewee.Database) -> str:
    """CREATE TABLE and CREATE INDEX statements for every model, for one dialect."""
    statements: list[str] = []
    with database.bind_ctx(ALL_MODELS):
        for model in ALL_MODELS:
            ctx = database.get_sql_context()
            sql, _ = ctx.sql(model._schema._create_table(safe=False)).query()
            statements.append(sql)
            for index in model._schema._create_indexes(safe=False):
                sql, params = database.get_sql_context().sql(index).query()
                # Partial index conditions come back as parameters; inline the literals.
                for param in params:
                    sql = sql.replace("?" if isinstance(database, peewee.SqliteDatabase)
                                      else "%s", "'%s'" % str(param).replace("'", "''"), 1)
                statements.append(sql)
    return ";\n".join(statements) + ";\n"


def main(version: str) -> None:
    (HERE / f"{version}.sqlite.sql").write_text(ddl(peewee.SqliteDatabase(":memory:")))
    (HERE / f"{version}.postgres.sql").write_text(ddl(peewee.PostgresqlDatabase("x")))


if __name__ == "__main__":
    main(sys.argv[1])
