"""`conversation.reopened_at`: when a conversation was last reopened (analytics count it that day)."""


def up(database, dialect: str) -> None:
    kind = "TIMESTAMP" if dialect == "postgres" else "DATETIME"
    database.execute_sql(f'ALTER TABLE "conversation" ADD COLUMN "reopened_at" {kind}')
    database.execute_sql('CREATE INDEX "conversation_company_id_reopened_at" ON "conversation"'
                         ' ("company_id", "reopened_at")')
