"""Events published together reach a socket together: one write, in order."""
from __future__ import annotations

import time
from types import SimpleNamespace

from gevent import socket as gsocket

from hub.auth import Principal
from hub.realtime import fanout_channel, publish_many
from hub.redis_client import get_redis
from web.realtime_hub import Connection, FanoutHub, _decoded, _with_ready
from web.socket_filter import Viewer


class CountingRaw:
    """The OS socket under a gevent socket, counting the writes made on it."""

    def __init__(self, raw):
        self.raw = raw
        self.writes = 0

    def send(self, data):
        self.writes += 1
        return self.raw.send(data)


def live_connection(tenant):
    ours, theirs = gsocket.socketpair()
    ws = SimpleNamespace(sock=ours, connected=True)
    conn = Connection(ws, Viewer(Principal(tenant.admin.id, tenant.company.id, "admin")),
                      track_presence=False)
    conn._live = True  # as after its history: events go straight out
    raw = conn.ws.sock._raw = CountingRaw(conn.ws.sock._raw)  # where the dispatcher writes
    return conn, raw, theirs


def received(sock, size: int) -> bytes:
    """The next `size` bytes the peer receives."""
    data = b""
    sock.settimeout(5)
    while len(data) < size:
        data += sock.recv(size - len(data))
    return data


def event(tenant, id_: int, type_: str = "message.created", **extra):
    return {"id": id_, "type": type_, "companyId": tenant.company.id,
            "conversationId": "c1", "data": {"n": id_}, "ts": time.time(), **extra}


def test_the_events_of_one_publish_go_to_a_socket_in_one_write(tenant):
    conn, raw, peer = live_connection(tenant)
    fanout = FanoutHub()
    fanout.add(conn)
    first, second = event(tenant, 1, "conversation.updated"), event(tenant, 2)
    fanout.dispatch([first, second])
    assert raw.writes == 1
    viewer = conn.viewer
    expected = viewer.frame(first) + viewer.frame(second)
    assert received(peer, len(expected)) == expected
    # An event already sent is not sent again when it comes back in a later batch.
    third = event(tenant, 3)
    fanout.dispatch([second, third])
    assert raw.writes == 2
    assert received(peer, len(viewer.frame(third))) == viewer.frame(third)


def test_a_batch_goes_to_each_company_s_own_sockets_only(tenant, other_tenant):
    conn, raw, peer = live_connection(tenant)
    fanout = FanoutHub()
    fanout.add(conn)
    foreign = event(other_tenant, 7)
    mine = event(tenant, 1)
    fanout.dispatch([foreign, mine])
    assert raw.writes == 1
    assert received(peer, len(conn.viewer.frame(mine))) == conn.viewer.frame(mine)


def test_events_for_someone_else_are_left_out_of_the_write(tenant):
    conn, raw, peer = live_connection(tenant)
    fanout = FanoutHub()
    fanout.add(conn)
    mine = event(tenant, 2)
    fanout.dispatch([event(tenant, 1, "notification.created", audience={"userIds": ["nobody"]}),
                  mine])
    assert raw.writes == 1
    assert received(peer, len(conn.viewer.frame(mine))) == conn.viewer.frame(mine)


def test_the_dispatcher_takes_the_events_already_received_behind_the_first(tenant):
    pubsub = get_redis().pubsub()
    pubsub.subscribe(fanout_channel())
    try:
        deadline = time.time() + 5
        confirmed = None  # the subscription holds once Redis confirms it
        while confirmed is None and time.time() < deadline:
            confirmed = pubsub.get_message(timeout=1)
        assert confirmed is not None and confirmed["type"] == "subscribe"
        # Given three events published in one round trip
        ids = publish_many(tenant.company.id, [("conversation.updated", {}, "c1", None),
                                               ("message.created", {"n": 1}, "c1", None),
                                               ("message.created", {"n": 2}, "c1", None)])
        first = None
        while first is None and time.time() < deadline:
            first = pubsub.get_message(timeout=1)
        # When the dispatcher takes the first, it gets the others with it, in order
        time.sleep(0.2)  # all three have arrived
        events = _decoded(_with_ready(pubsub, first))
        assert [e["id"] for e in events] == ids
    finally:
        pubsub.close()


def test_a_published_message_without_an_id_is_dropped_alone():
    messages = [{"type": "message", "data": b'{"id": 1, "companyId": "a"}'},
                {"type": "message", "data": b"not json"},
                {"type": "message", "data": b'{"companyId": "a"}'},
                {"type": "subscribe", "data": 1}]
    assert [e["id"] for e in _decoded(messages)] == [1]
