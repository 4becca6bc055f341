"""pending_event: edits, deletions, reactions and echoes parked until their message is stored."""


def _statements(time_type: str) -> list[str]:
    return [
        'CREATE TABLE "pending_event" ("id" VARCHAR(32) NOT NULL PRIMARY KEY,'
        ' "channel_id" VARCHAR(32) NOT NULL, "kind" VARCHAR(16) NOT NULL,'
        ' "provider_message_id" VARCHAR(200) NOT NULL, "external_id" VARCHAR(200) NOT NULL,'
        ' "dedupe_key" VARCHAR(64) NOT NULL, "event" TEXT NOT NULL,'
        f' "timestamp" {time_type} NOT NULL, "created_at" {time_type} NOT NULL,'
        ' FOREIGN KEY ("channel_id") REFERENCES "channel" ("id") ON DELETE CASCADE)',
        'CREATE INDEX "pending_event_channel_id" ON "pending_event" ("channel_id")',
        'CREATE UNIQUE INDEX "pending_event_channel_id_dedupe_key" ON "pending_event"'
        ' ("channel_id", "dedupe_key")',
        'CREATE INDEX "pending_event_channel_id_provider_message_id" ON "pending_event"'
        ' ("channel_id", "provider_message_id")',
        'CREATE INDEX "pending_event_channel_id_kind_external_id" ON "pending_event"'
        ' ("channel_id", "kind", "external_id")',
    ]


def up(database, dialect: str) -> None:
    for statement in _statements("DATETIME" if dialect == "sqlite" else "TIMESTAMP"):
        database.execute_sql(statement)
