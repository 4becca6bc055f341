"""The initial schema, frozen as SQL per dialect."""


def up(database, dialect: str) -> None:
    from hub.migrations import run_sql_file

    run_sql_file(f"v0001_initial.{dialect}.sql")
