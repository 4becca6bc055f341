"""Drop the single-column indexes that a composite index already starts with.

Each was a second copy of what a composite index serves (its leading column), and each cost
every INSERT, and every UPDATE that is not HOT, one more index entry: a stored message wrote
twelve, a webhook event six, and the updates of a conversation and of a raw event (status,
last message) rewrote all of theirs. The composites answer the same lookups and foreign-key
checks.
"""

# (dropped index, the composite that starts with its column)
REDUNDANT = (
    ("message_company_id", "message_company_id_timestamp"),
    ("message_conversation_id", "message_conversation_id_timestamp"),
    ("message_channel_id", "message_channel_id_provider_message_id"),
    ("conversation_company_id", "conversation_company_id_status_last_message_at"),
    ("contact_company_id", "contact_company_id_external_user_id"),
    ("contact_identity_channel_id", "contact_identity_channel_id_external_id"),
    ("webhook_event_company_id", "webhook_event_company_id_status"),
    ("webhook_event_channel_id", "webhook_event_channel_id_dedupe_key"),
    ("delivery_company_id", "delivery_company_id_status"),
    ("pending_status_channel_id", "pending_status_channel_id_provider_message_id_status"),
    ("pending_event_channel_id", "pending_event_channel_id_dedupe_key"),
    ("channel_template_channel_id", "channel_template_channel_id_name_language"),
    ("authorized_domain_widget_id", "authorized_domain_widget_id_domain"),
    ("widget_stat_widget_id", "widget_stat_widget_id_day"),
    ("canned_response_company_id", "canned_response_company_id_shortcut"),
    ("analytics_rollup_company_id", "analytics_rollup_company_id_day_channel_key_agent_key"),
    ("archive_manifest_company_id", "archive_manifest_company_id_month_path"),
)


def up(database, dialect: str) -> None:
    for index, _ in REDUNDANT:
        database.execute_sql(f'DROP INDEX IF EXISTS "{index}"')
