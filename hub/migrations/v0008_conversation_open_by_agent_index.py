"""An index of assigned open conversations by company and agent, for routing.

Routing counts each online agent's open conversations (hub.routing._candidates). PostgreSQL
planned that count on a table it had not analyzed yet (a new hub, or one filling fast) as a
scan of the whole one-open-per-contact index, whose condition `status = 'active'` it matches:
the cost grew with every open conversation of every company (0.2 ms at none, 0.8 ms at 3,000),
and the plan stayed cached until autovacuum's first ANALYZE. This index leads with the company
and matches the count's whole condition, so it is chosen whatever the statistics say.

`assignee_id IS NOT NULL` is part of its condition on purpose: a lookup of a contact's open
conversation (every inbound message) cannot use it, so a plan made on an empty table cannot
pick it there instead of the one-open-per-contact index (with `status = 'active'` alone it
did). Its price: an entry per assigned open conversation written, and per update of one that
is not HOT.
"""


def up(database, dialect: str) -> None:
    database.execute_sql('CREATE INDEX "conversation_open_by_agent" ON "conversation"'
                         ' ("company_id", "assignee_id")'
                         ' WHERE "status" = \'active\' AND "assignee_id" IS NOT NULL')
