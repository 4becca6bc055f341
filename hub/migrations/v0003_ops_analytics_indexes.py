"""Indexes the analytics passes range-scan: conversations started and ended per company."""

STATEMENTS = [
    'CREATE INDEX "conversation_company_id_started_at" ON "conversation" ("company_id", "started_at")',
    'CREATE INDEX "conversation_company_id_ended_at" ON "conversation" ("company_id", "ended_at")',
]


def up(database, dialect: str) -> None:
    # Same DDL for both dialects; message (company_id, timestamp) and (conversation_id,
    # timestamp) exist since v0001.
    for statement in STATEMENTS:
        database.execute_sql(statement)
