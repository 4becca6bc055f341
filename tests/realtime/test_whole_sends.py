"""The socket wrapper the fan-out writes through: whole frames, in order, never waiting."""
from __future__ import annotations

import socket

import gevent
from gevent import socket as gsocket

from web.realtime_hub import WholeSends


def test_a_frame_begun_without_waiting_is_finished_before_anything_else():
    # Given a peer that does not read, with small buffers
    ours, theirs = gsocket.socketpair()
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    theirs.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock = WholeSends(ours)
    big = bytes(range(256)) * 4096  # 1 MB: far more than the buffers take at once
    # When the dispatcher writes a frame without waiting, part of it stays behind
    assert sock.send_now(big) is True
    # Then nothing else may start before that tail: not another quick write...
    assert sock.send_now(b"next") is None
    received = bytearray()

    def read() -> None:
        while len(received) < len(big) + 4:
            received.extend(theirs.recv(65536))

    reader = gevent.spawn(read)
    # ...and the next ordinary send writes the tail first, then its own bytes
    sock.send(b"next")
    reader.join(timeout=10)
    assert bytes(received) == big + b"next"


def test_a_frame_the_kernel_takes_at_once_leaves_no_tail():
    ours, theirs = gsocket.socketpair()
    sock = WholeSends(ours)
    assert sock.send_now(b"frame") is False
    assert theirs.recv(100) == b"frame"


def test_outside_gevent_there_is_no_quick_write():
    ours, theirs = socket.socketpair()
    with ours, theirs:
        assert WholeSends(ours).send_now(b"frame") is None
