"""Full-text search over message text: FTS5 on SQLite, a GIN tsvector index on PostgreSQL."""

SQLITE = [
    "CREATE VIRTUAL TABLE message_fts USING fts5(content, content='message', content_rowid='rowid')",
    "CREATE TRIGGER message_fts_ai AFTER INSERT ON message BEGIN"
    " INSERT INTO message_fts(rowid, content) VALUES (new.rowid, new.content); END",
    "CREATE TRIGGER message_fts_ad AFTER DELETE ON message BEGIN"
    " INSERT INTO message_fts(message_fts, rowid, content) VALUES ('delete', old.rowid, old.content);"
    " END",
    "CREATE TRIGGER message_fts_au AFTER UPDATE OF content ON message BEGIN"
    " INSERT INTO message_fts(message_fts, rowid, content) VALUES ('delete', old.rowid, old.content);"
    " INSERT INTO message_fts(rowid, content) VALUES (new.rowid, new.content); END",
    "INSERT INTO message_fts(message_fts) VALUES ('rebuild')",
]

POSTGRES = [
    "CREATE INDEX message_content_fts ON message USING gin (to_tsvector('simple', content))",
]


def up(database, dialect: str) -> None:
    for statement in SQLITE if dialect == "sqlite" else POSTGRES:
        database.execute_sql(statement)
