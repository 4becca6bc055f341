"""Typing relay/throttle/expiry, presence transitions, read receipts and privacy."""
from __future__ import annotations

import time

from hub import jobs
from hub.auth import Principal
from hub.receipts import mark_as_read
from hub.redis_client import get_redis
from hub.realtime import history_key
from tests.realtime.helpers import conversation, incoming, message_event, user_row


def _token(headers):
    return headers["Authorization"].split()[1]


def test_typing_is_relayed_throttled_and_ends_on_its_own(web_a, web_b, tenant):
    conv = conversation(tenant.company.id)
    typist, headers = tenant.add_user("support")
    watcher = web_a.ws("/ws", tenant.token)
    watcher.ready()
    ws = web_b.ws("/ws", _token(headers))
    ws.ready()
    assert ws.request("typing", conversationId=conv.id, isTyping=True)["data"]["relayed"]
    assert not ws.request("typing", conversationId=conv.id, isTyping=True)["data"]["relayed"]
    started = watcher.recv_until(lambda f: f.get("type") == "typing")
    assert started["data"]["isTyping"] and started["data"]["expiresAt"]
    assert started["data"]["userId"] == typist.id
    # No follow-up: the server itself ends it about 6 s later
    t0 = time.time()
    ended = watcher.recv_until(lambda f: f.get("type") == "typing", timeout=10)
    assert ended["data"]["isTyping"] is False and 4 < time.time() - t0 < 9
    types = [e for e in _history(tenant.company.id) if e["type"] == "typing"]
    assert [e["data"]["isTyping"] for e in types] == [True, False]  # the throttled one never went out


def _history(company_id):
    import json

    return [json.loads(f[b"event"]) for _, f in get_redis().xrange(history_key(company_id))]


def test_presence_goes_online_away_and_offline(web_a, tenant):
    agent, headers = tenant.add_user("support")
    watcher = web_a.ws("/ws", tenant.token)
    watcher.ready()
    ws = web_a.ws("/ws", _token(headers))
    ws.ready()

    def next_status():
        frame = watcher.recv_until(lambda f: f.get("type") == "presence"
                                   and f["data"]["userId"] == agent.id, timeout=10)
        return frame["data"]["status"]

    assert next_status() == "online"
    assert user_row(agent.id).status == "online" and user_row(agent.id).last_active
    assert next_status() == "away"  # HUB_PRESENCE_AWAY_SECONDS=2 in these servers
    assert user_row(agent.id).status == "away"
    ws.request("load_conversations")  # activity
    assert next_status() == "online"
    ws.close()
    assert next_status() == "offline"
    assert user_row(agent.id).status == "offline"


def test_reading_marks_messages_and_pushes_receipts_to_the_customer(web_a, tenant):
    visitor, vheaders = tenant.add_user("user")
    conv = conversation(tenant.company.id, created_by=visitor.id)
    first, second = incoming(conv, "one"), incoming(conv, "two")
    customer = web_a.ws(f"/ws/chat/{conv.id}", _token(vheaders))
    customer.ready()
    agent = web_a.ws("/ws", tenant.token)
    agent.ready()
    reply = agent.request("mark_as_read", conversationId=conv.id)
    assert reply["ok"] and reply["data"]["marked"] == 2 and reply["data"]["unreadCount"] == 0
    read = [customer.recv_until(lambda f: f["type"] == "message") for _ in range(2)]
    assert {f["data"]["id"] for f in read} == {first.id, second.id}
    assert all(f["data"]["read"] for f in read)
    assert customer.recv_until(lambda f: f["type"] == "session_update")["data"]["unreadCount"] == 0


def test_an_agent_with_read_receipts_off_reads_silently(web_a, tenant):
    visitor, vheaders = tenant.add_user("user")
    conv = conversation(tenant.company.id, created_by=visitor.id)
    incoming(conv, "one")
    agent, headers = tenant.add_user("support", settings={"privacy": {"readReceipts": False}})
    customer = web_a.ws(f"/ws/chat/{conv.id}", _token(vheaders))
    customer.ready()
    colleague = web_a.ws("/ws", tenant.token)
    colleague.ready()
    ws = web_a.ws("/ws", _token(headers))
    ws.ready()
    assert ws.request("mark_as_read", conversationId=conv.id)["data"]["receiptsShared"] is False
    # The team sees the read; the customer's next frame is the later message, not a receipt
    assert colleague.recv_until(lambda f: f.get("type") == "message.updated")["data"]["read"]
    later = message_event(conv, "later")
    assert customer.recv()["id"] == later


def test_read_receipts_setting_decides_the_provider_receipt(db_conn, tenant):
    sent = []
    previous = jobs._dispatcher, jobs._many_dispatcher
    jobs.set_dispatcher(lambda name, args, delay: sent.append((name, args)))
    try:
        for shared in (True, False):
            agent, _ = tenant.add_user("support", settings={"privacy": {"readReceipts": shared}})
            conv = conversation(tenant.company.id)
            with db_conn.connection_context():
                from hub.models import Channel, Conversation

                channel = Channel.create(company=tenant.company.id, kind="telegram", name="t",
                                         settings={})
                Conversation.update(channel=channel.id).where(Conversation.id == conv.id).execute()
                conv = Conversation.get_by_id(conv.id)
            message = incoming(conv)
            before = len(sent)
            result = mark_as_read(Principal(agent.id, tenant.company.id, "support"), conv)
            assert result["marked"] == 1
            provider_calls = [s for s in sent[before:] if s[0] == "mark_read_on_provider"]
            assert provider_calls == ([("mark_read_on_provider", ([message.id],))] if shared else [])
    finally:
        jobs.set_dispatcher(*previous)
