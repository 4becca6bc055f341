"""Fan-out across processes, catch-up on reconnect, auth and permission filtering."""
from __future__ import annotations

import socket
import threading
import time

from hub import db as hubdb
from hub.models import Company
from hub.realtime import history_key
from hub.redis_client import get_redis
from tests.realtime.helpers import conversation, message_event


def test_a_bad_token_closes_with_4401(web_a):
    ws = web_a.ws("/ws", "not-a-token")
    assert ws.close_code() == 4401


def test_a_query_token_authenticates_browsers(web_a, tenant):
    ws = web_a.ws("/ws", token=tenant.token)
    assert ws.ready() >= 0
    ws.close()


def test_a_foreign_session_is_refused_and_an_invisible_one_forbidden(web_a, tenant, other_tenant):
    theirs = conversation(other_tenant.company.id)
    assert web_a.ws(f"/ws/chat/{theirs.id}", tenant.token).close_code() == 4404
    visitor, headers = tenant.add_user("user")
    someone_elses = conversation(tenant.company.id)
    token = headers["Authorization"].split()[1]
    assert web_a.ws(f"/ws/chat/{someone_elses.id}", token).close_code() == 4403


def test_a_request_on_process_b_reaches_a_socket_on_process_a(web_a, web_b, tenant):
    # Given an agent listening on A and another agent connected to B
    conv = conversation(tenant.company.id)
    listener = web_a.ws("/ws", tenant.token)
    listener.ready()
    agent, headers = tenant.add_user("support")
    sender = web_b.ws("/ws", headers["Authorization"].split()[1])
    sender.ready()
    # When B's agent sends a message over its socket
    reply = sender.request("send_message", conversationId=conv.id, content="from B",
                           clientMessageId="c-1")
    assert reply["ok"], reply
    # Then A's socket gets it, in both vocabularies
    event = listener.recv_until(lambda f: f.get("type") == "message.created")
    assert event["event"] == "new_message"
    assert event["data"]["content"] == "from B" and event["data"]["id"] == reply["data"]["id"]
    # And a retried send with the same clientMessageId returns the same message
    again = sender.request("send_message", conversationId=conv.id, content="from B",
                           clientMessageId="c-1")
    assert again["data"]["id"] == reply["data"]["id"]


def test_an_event_from_a_worker_reaches_sockets_on_both_processes(web_a, web_b, tenant):
    conv = conversation(tenant.company.id)
    on_a, on_b = web_a.ws("/ws", tenant.token), web_b.ws("/ws", tenant.token)
    on_a.ready(), on_b.ready()
    event_id = message_event(conv, "worker says hi")
    for ws in (on_a, on_b):
        got = ws.recv_until(lambda f: f.get("type") == "message.created")
        assert got["id"] == event_id and got["data"]["content"] == "worker says hi"


def test_reconnect_with_last_event_id_gets_exactly_the_missed_events_in_order(web_a, web_b, tenant):
    conv = conversation(tenant.company.id)
    ws = web_a.ws("/ws", tenant.token)
    last = ws.ready()
    message_event(conv, "seen")
    seen = ws.recv_until(lambda f: f.get("type") == "message.created")
    ws.close()
    missed = [message_event(conv, f"missed {i}") for i in range(5)]
    # Reconnect on the other process, with the id in the URL
    again = web_b.ws("/ws", tenant.token, lastEventId=seen["id"])
    replayed = frames_until_ready(again)
    ids = [f["id"] for f in replayed]
    assert ids == sorted(set(ids)) and ids[0] > seen["id"]  # in order, once each
    messages = [f for f in replayed if f["type"] == "message.created"]
    assert [f["id"] for f in messages] == missed
    assert [f["data"]["content"] for f in messages] == [f"missed {i}" for i in range(5)]
    # (the others are the presence events of the first socket closing and this one opening)
    assert {f["type"] for f in replayed} <= {"message.created", "presence"}
    live = message_event(conv, "live")
    assert again.recv_until(lambda f: f.get("type") == "message.created")["id"] == live
    # And the resume message works as well as the query parameter
    third = web_a.ws("/ws", tenant.token)
    third.conn.send('{"type": "resume", "lastEventId": %d}' % missed[2])
    messages = [f["id"] for f in frames_until_ready(third) if f["type"] == "message.created"]
    assert messages == [missed[3], missed[4], live]
    assert last < seen["id"]


def frames_until_ready(ws) -> list[dict]:
    frames = []
    while True:
        frame = ws.recv()
        if frame.get("type") == "ready":
            return frames
        frames.append(frame)


def test_a_gap_older_than_the_history_asks_for_a_reload(web_a, tenant):
    conv = conversation(tenant.company.id)
    first = message_event(conv, "old")
    for i in range(3):
        message_event(conv, f"later {i}")
    get_redis().xtrim(history_key(tenant.company.id), maxlen=2, approximate=False)  # the window moved on
    ws = web_a.ws("/ws", tenant.token, lastEventId=first)
    assert ws.recv()["type"] == "reload"
    assert ws.ready() == first + 3


def test_an_assigned_only_agent_gets_only_their_conversations(web_a, tenant, other_tenant):
    with hubdb.db.connection_context():
        Company.update(settings={"visibility": "assigned"}).where(
            Company.id == tenant.company.id).execute()
    mine_agent, mine_headers = tenant.add_user("support")
    other_agent, _ = tenant.add_user("support")
    mine = conversation(tenant.company.id, assignee=mine_agent.id)
    theirs = conversation(tenant.company.id, assignee=other_agent.id)
    ws = web_a.ws("/ws", mine_headers["Authorization"].split()[1])
    ws.ready()
    outsider = web_a.ws("/ws", other_tenant.token)
    outsider.ready()
    message_event(theirs, "not for you")
    wanted = message_event(mine, "for you")
    got = ws.recv_until(lambda f: f.get("type") == "message.created")
    assert got["id"] == wanted  # the other conversation's event never came
    foreign = message_event(conversation(other_tenant.company.id), "theirs")
    assert outsider.recv_until(lambda f: f.get("type") == "message.created")["id"] == foreign
    # Requests follow the same rule
    reply = ws.request("load_messages", conversationId=theirs.id)
    assert not reply["ok"] and reply["error"]["code"] == "not_found"
    listed = ws.request("load_conversations")
    assert [c["id"] for c in listed["data"]["items"]] == [mine.id]


def test_private_notes_never_reach_the_visitor(web_a, tenant):
    visitor, headers = tenant.add_user("user")
    conv = conversation(tenant.company.id, created_by=visitor.id)
    ws = web_a.ws(f"/ws/chat/{conv.id}", headers["Authorization"].split()[1])
    ws.ready()
    message_event(conv, "internal", private=True)
    public = message_event(conv, "public")
    got = ws.recv()
    assert got == {"type": "message", "id": public, "event": "message.created",
                   "data": got["data"]} and got["data"]["content"] == "public"


def test_a_slow_client_does_not_hold_up_the_others(web_a, tenant):
    conv = conversation(tenant.company.id)
    import websocket

    slow = websocket.create_connection(f"ws://{web_a.url}/ws?token={tenant.token}",
                                       sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),))
    fast = web_a.ws("/ws", tenant.token)
    fast.ready()
    got: list[int] = []

    def read_fast() -> None:
        while len(got) < 600:
            got.append(fast.recv_until(lambda f: f.get("type") == "message.created")["id"])

    reader = threading.Thread(target=read_fast)
    reader.start()
    ids = []
    for i in range(600):  # 18 MB: more than the slow client's buffers and queue hold
        ids.append(message_event(conv, "x" * 30_000 + str(i)))
        time.sleep(0.01)  # a steady 100 events/s, which the fast client keeps up with  # a steady stream, not one burst: the fast client keeps up
    reader.join(timeout=60)
    assert len(got) == len(ids), (len(got), len(ids))
    assert got == ids
    # The slow one was cut off instead: it never gets all 600
    slow.settimeout(5)
    received = 0
    try:
        while received < 600:
            frame = slow.recv()
            if not frame:
                break
            received += 1
    except Exception:
        pass
    assert received < 600


def test_a_lagging_client_gets_every_event_whole_and_in_order(web_a, tenant):
    """A client that reads late, with a small buffer: the first frames go out in part (the rest
    waits as a tail), the next ones queue behind it; all arrive whole, in order, none twice."""
    from tests.realtime.conftest import Client
    import websocket

    conv = conversation(tenant.company.id)
    lagging = Client(websocket.create_connection(
        f"ws://{web_a.url}/ws?token={tenant.token}", timeout=10,
        sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),)))
    lagging.ready()
    # 120 events of 20 KB (2.4 MB) in a burst, fewer than a socket's queue holds
    ids = [message_event(conv, f"{i}:" + "y" * 20_000) for i in range(120)]
    time.sleep(1)  # the client is not reading meanwhile
    got = [lagging.recv_until(lambda f: f.get("type") == "message.created") for _ in ids]
    assert [f["id"] for f in got] == ids
    assert [f["data"]["content"] for f in got] == [f"{i}:" + "y" * 20_000 for i in range(120)]


def test_an_oversized_message_closes_the_socket(web_a, tenant):
    ws = web_a.ws("/ws", tenant.token)
    ws.ready()
    ws.conn.send("x" * (65 * 1024))
    assert ws.close_code() == 1009
