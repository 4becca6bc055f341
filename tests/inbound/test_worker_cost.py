"""What the inbound job costs, and that its cheaper payloads are the same as a fresh read.

Statement counts are deterministic (timings are not, so none are asserted here); the numbers
below are what `bench.inbound` measured the job down to. A change that adds a statement per
message must say why, here.
"""
from __future__ import annotations

from hub import db as hubdb
from hub import inbound, realtime
from hub.models import Conversation, Message, Notification, User
from hub.presenters import conversation_dict
from hub.routing import route_conversation
from tests.inbound.builders import wa_message
from tests.inbound.conftest import create_channel, post_webhook

# SQL statements sent through peewee (BEGIN and COMMIT not included).
MAX_STATEMENTS_NEW_CONTACT = 9     # event+channel, contact?, contact, identity, conversation,
#                                    message, waiting-for check, conversation touch, event done
MAX_STATEMENTS_KNOWN_CONTACT = 7   # event+channel, contact touch (identity read by the same
#                                    statement), open conversation, message, waiting-for check,
#                                    conversation touch, event done
MAX_STATEMENTS_ROUTING = 6         # conversation (joined to its channel and contact),
#                                    company lock, candidates, assign, cursor, notification
# On PostgreSQL a new message also takes the advisory lock of its provider id, a statement of
# its own between the message INSERT and the waiting-for check (hub.messages.lock_provider_id:
# a status parked by a job that overlaps this one is then not missed). SQLite needs none.
PG_MESSAGE_LOCK = 1


class Counter:
    def __init__(self, monkeypatch):
        self.sql: list[str] = []
        self.publishes = 0
        database = hubdb.db.obj
        original = database.execute_sql
        publish_many = realtime.publish_many

        def execute_sql(sql, params=None, *args, **kwargs):
            self.sql.append(sql)
            return original(sql, params, *args, **kwargs)

        def counting_publish_many(*args, **kwargs):
            self.publishes += 1
            return publish_many(*args, **kwargs)

        monkeypatch.setattr(database, "execute_sql", execute_sql)
        monkeypatch.setattr(realtime, "publish_many", counting_publish_many)

    def reset(self) -> None:
        self.sql.clear()
        self.publishes = 0


def _events(company_id: str, type: str) -> list[dict]:
    return [e for e in realtime.history_since(company_id, 0) or [] if e["type"] == type]


def test_statements_per_inbound_message_and_routing(app, tenant, emulator, monkeypatch):
    client = app.test_client()
    channel = create_channel(client, tenant, "whatsapp", emulator)
    first = post_webhook(client, "whatsapp", channel["id"], wa_message(text="one", ts=1718031600))
    second = post_webhook(client, "whatsapp", channel["id"], wa_message(text="two", ts=1718031601))
    lock = PG_MESSAGE_LOCK if hubdb.is_postgres() else 0
    count = Counter(monkeypatch)
    # A new contact: contact, identity, conversation and message are inserted
    assert inbound.process_webhook_event(first.get_json()["eventId"]) == "processed"
    assert len(count.sql) <= MAX_STATEMENTS_NEW_CONTACT + lock, count.sql
    assert count.publishes == 1  # conversation.created and message.created in one round trip
    count.reset()
    # The same contact again: its open conversation is found
    assert inbound.process_webhook_event(second.get_json()["eventId"]) == "processed"
    assert len(count.sql) <= MAX_STATEMENTS_KNOWN_CONTACT + lock, count.sql
    assert count.publishes == 1
    # Routing the new conversation to the tenant's online agent
    conversation = Conversation.get()
    User.update(status="online").where(User.company == tenant.company.id).execute()
    count.reset()
    assert route_conversation(conversation.id) is not None
    assert len(count.sql) <= MAX_STATEMENTS_ROUTING, count.sql
    assert count.publishes == 1  # conversation.updated and the agent's notification
    assert Message.select().count() == 2


def test_realtime_payloads_equal_a_fresh_read_and_the_rest_api(app, tenant, emulator):
    client = app.test_client()
    channel = create_channel(client, tenant, "whatsapp", emulator)
    bodies = [wa_message(text="hello", ts=1718031600),
              wa_message(text="later", ts=1718031660),
              wa_message(text="earlier, processed last", ts=1718031630),
              wa_message(text="a photo", ts=1718031700, image_id="media-1")]
    for body in bodies:
        answer = post_webhook(client, "whatsapp", channel["id"], body)
        inbound.process_webhook_event(answer.get_json()["eventId"])
        conversation = Conversation.get()
        # The conversation event is the row as a fresh read presents it (preview, unread
        # count, times: the one UPDATE ... RETURNING is what the database holds)
        latest = (_events(tenant.company.id, "conversation.created")
                  + _events(tenant.company.id, "conversation.updated"))[-1]
        assert latest["data"] == conversation_dict(Conversation.get_by_id(conversation.id))
    assert conversation.last_message_preview == "a photo"
    assert conversation.unread_count == 4
    # Each message.created event carries what the REST API answers for that message
    listed = client.get(f"/api/chat/sessions/{conversation.id}/messages",
                        headers=tenant.headers).get_json()["messages"]
    created = {e["data"]["id"]: e["data"] for e in _events(tenant.company.id, "message.created")}
    assert len(listed) == 4 and set(created) == {m["id"] for m in listed}
    for message in listed:
        assert created[message["id"]] == message
    assert [m["content"] for m in listed] == ["hello", "earlier, processed last", "later",
                                              "a photo"]
    assert listed[-1]["attachments"] and listed[-1]["attachments"][0]["status"] == "pending"


def test_routing_event_equals_a_fresh_read(app, tenant, emulator):
    """Routing reads the channel and contact with the conversation (one joined SELECT) and the
    agent as a few columns: its events still carry what a fresh read presents."""
    client = app.test_client()
    channel = create_channel(client, tenant, "whatsapp", emulator)
    answer = post_webhook(client, "whatsapp", channel["id"],
                          wa_message(text="route me", ts=1718031600))
    inbound.process_webhook_event(answer.get_json()["eventId"])
    conversation = Conversation.get()
    User.update(status="online").where(User.company == tenant.company.id).execute()
    agent_id = route_conversation(conversation.id)
    assert agent_id is not None
    updated = _events(tenant.company.id, "conversation.updated")[-1]
    fresh = conversation_dict(Conversation.get_by_id(conversation.id))
    assert updated["data"] == fresh and fresh["assignedTo"] == agent_id
    assert fresh["contact"] is not None and fresh["channel"]["id"] == channel["id"]
    note = _events(tenant.company.id, "notification.created")[-1]
    assert note["audience"] == {"userIds": [agent_id]}
    row = Notification.get_by_id(note["data"]["id"])
    assert (row.user_id, row.company_id, row.title, row.message, row.type, row.link, row.read) \
        == (agent_id, tenant.company.id, note["data"]["title"], note["data"]["message"],
            note["data"]["type"], note["data"]["link"], False)
    assert row.created_at is not None
