"""The inbound job's hot lookups as PostgreSQL prepared statements: same rows, same indexes."""
from __future__ import annotations

import re
from datetime import datetime

import pytest

from hub import db as hubdb
from hub import inbound
from hub import prepared as prep
from hub.models import Contact, ContactIdentity, Conversation, Message, User, WebhookEvent
from hub.routing import route_conversation
from tests.inbound.builders import wa_message
from tests.inbound.conftest import create_channel, post_webhook

pytestmark = pytest.mark.skipif(
    "not __import__('hub.db', fromlist=['x']).is_postgres()",
    reason="server-side prepared statements are PostgreSQL's; SQLite runs the plain text")


def _compiled(key: str) -> prep.Prepared:
    return prep._compiled[(key, type(hubdb.db.obj))]


@pytest.fixture
def stored(app, tenant, emulator):
    """Two messages of one contact processed, its conversation routed: the hot lookups' rows."""
    client = app.test_client()
    channel = create_channel(client, tenant, "whatsapp", emulator)
    events = [post_webhook(client, "whatsapp", channel["id"],
                           wa_message(text=text, ts=1718031600 + i)).get_json()["eventId"]
              for i, text in enumerate(("one", "two"))]
    with hubdb.connection():
        for event_id in events:
            assert inbound.process_webhook_event(event_id) == "processed"
        User.update(status="online").where(User.company == tenant.company.id).execute()
        assert route_conversation(Conversation.get().id) is not None
    return tenant, channel["id"], events


def _lookups(tenant, channel_id: str, events: list[str]) -> list[tuple[str, tuple]]:
    identity = ContactIdentity.get()
    message = Message.select().order_by(Message.timestamp).first()
    return [
        ("webhook_event.with_channel", (events[0],)),
        ("contact.touch_known", (channel_id, identity.external_id, datetime(2024, 6, 10, 15))),
        ("contact.touch_known", (channel_id, "nobody", datetime(2024, 6, 10, 15))),
        ("conversation.open", (channel_id, identity.contact_id)),
        ("message.waiting_for", (channel_id, message.provider_message_id)),
        ("routing.conversation", (Conversation.get().id,)),  # joined to channel and contact
        ("routing.candidates", (tenant.company.id,)),
    ]


def _as_data(rows: list) -> list:
    out = []
    for row in rows:
        if isinstance(row, tuple):
            out.append(row)
            continue
        data = dict(row.__data__)
        data.update({k: v for k, v in vars(row).items() if not k.startswith("_")})
        for name, value in vars(row).get("__rel__", {}).items():
            data[name] = value.__data__
        out.append(data)
    return out


def test_hot_lookups_return_the_same_rows_as_the_plain_text(stored, monkeypatch):
    with hubdb.connection():
        for key, args in _lookups(*stored):
            query = _compiled(key)
            assert query.server is not None and query.server.preparable, key
            executed = _as_data(query.rows(*args))
            assert query.server.name in hubdb.db.connection().prepared_names
            with monkeypatch.context() as m:
                m.setattr(query, "server", None)
                plain = _as_data(query.rows(*args))
            assert executed == plain, key
        assert Contact.select().count() == 1 and WebhookEvent.select().count() == 2


def _indexes(plan: str) -> set[str]:
    return set(re.findall(r"(?:using|Index Scan on) (\S+)", plan))


def test_generic_plans_use_the_indexes_the_plain_text_uses(stored):
    with hubdb.connection(), hubdb.transaction():
        hubdb.db.execute_sql("SET LOCAL enable_seqscan = off")  # tiny test tables
        for key, args in _lookups(*stored):
            query = _compiled(key)
            server = query.server
            query.rows(*args)  # prepared on this connection
            params = prep._bind(server.params, args)
            hubdb.db.execute_sql("SET LOCAL plan_cache_mode = force_generic_plan")
            generic = "\n".join(r[0] for r in hubdb.db.execute_sql(
                f"EXPLAIN {server.execute_sql}", params))
            hubdb.db.execute_sql("SET LOCAL plan_cache_mode = auto")
            plain = "\n".join(r[0] for r in hubdb.db.execute_sql(
                "EXPLAIN " + query.sql, prep._bind(query.order, args)))
            assert _indexes(generic) == _indexes(plain), (key, generic, plain)
            if key == "conversation.open":  # the partial index WHERE status = 'active'
                assert "conversation_one_open_per_contact" in generic, generic
            if key == "contact.touch_known":
                assert "contact_identity_channel_id_external_id" in generic, generic
