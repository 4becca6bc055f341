"""An index for replies waiting for the message they quote.

Storing a message asks whether replies to its provider id arrived first (they are then pointed
at it). Without an index that question scanned every message of the channel, once per message.
Partial: only replies carry `reply_to_provider_id`.
"""


def up(database, dialect: str) -> None:
    database.execute_sql('CREATE INDEX "message_channel_id_reply_to_provider_id" ON "message"'
                         ' ("channel_id", "reply_to_provider_id")'
                         ' WHERE "reply_to_provider_id" IS NOT NULL')
