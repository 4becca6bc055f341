"""Indexes of the analytics rollups: conversations started and ended per company (range scans),
rollups per day (a recomputation for every company deletes a day's rows)."""

STATEMENTS = [
    'CREATE INDEX "conversation_company_id_started_at" ON "conversation" ("company_id", "started_at")',
    'CREATE INDEX "conversation_company_id_ended_at" ON "conversation" ("company_id", "ended_at")',
    'CREATE INDEX "analytics_rollup_day" ON "analytics_rollup" ("day")',
]


def up(database, dialect: str) -> None:
    # Same DDL for both dialects; message (company_id, timestamp) and (conversation_id,
    # timestamp) exist since v0001.
    for statement in STATEMENTS:
        database.execute_sql(statement)
