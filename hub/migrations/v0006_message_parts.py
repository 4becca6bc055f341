"""message_part: the further provider ids of a message sent as several provider messages.

Only the first part's id was kept on the message, so statuses for the other parts found no
message and stayed parked for good.
"""


def up(database, dialect: str) -> None:
    database.execute_sql(
        'CREATE TABLE "message_part" ("id" VARCHAR(32) NOT NULL PRIMARY KEY,'
        ' "channel_id" VARCHAR(32) NOT NULL, "provider_message_id" VARCHAR(200) NOT NULL,'
        ' "message_id" VARCHAR(32) NOT NULL,'
        ' FOREIGN KEY ("channel_id") REFERENCES "channel" ("id") ON DELETE CASCADE,'
        ' FOREIGN KEY ("message_id") REFERENCES "message" ("id") ON DELETE CASCADE)')
    database.execute_sql('CREATE UNIQUE INDEX "message_part_channel_id_provider_message_id"'
                         ' ON "message_part" ("channel_id", "provider_message_id")')
    database.execute_sql('CREATE INDEX "message_part_message_id" ON "message_part"'
                         ' ("message_id")')
