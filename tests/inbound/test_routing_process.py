"""`hub worker` routes new conversations from a Dramatiq process of its own, at a lower CPU
priority than the processing of messages (hub.supervisor.role_processes)."""
from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hub import db as hubdb
from hub.models import Conversation
from tests.hub.test_cli_up import alive, descendants
from tests.inbound.builders import wa_message
from tests.inbound.conftest import create_channel, post_webhook

ROOT = Path(__file__).resolve().parents[2]


def _nice(pid: int) -> int:
    """The niceness of a process (field 19 of /proc/<pid>/stat)."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def _cmdline(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_text().rstrip("\0").split("\0")


@pytest.mark.slow
def test_hub_worker_assigns_from_a_niced_routing_process(client, tenant, emulator, hub_env,
                                                         tmp_path):
    agent = tenant.add_user("support", status="online", name="Agent")[0]
    channel = create_channel(client, tenant, "whatsapp", emulator)
    log = tmp_path / "worker.log"
    proc = subprocess.Popen([sys.executable, "-m", "hub.cli", "worker"], cwd=ROOT,
                            env={**hub_env, "HUB_WORKER_THREADS": "2", "HUB_LOG_LEVEL": "INFO"},
                            stdout=open(log, "wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    everyone: set[int] = set()
    try:
        # When a message opens a conversation
        assert post_webhook(client, "whatsapp", channel["id"], wa_message()).status_code == 200
        # Then it is assigned, by the routing process
        deadline = time.monotonic() + 60
        while True:
            with hubdb.db.connection_context():
                conversation = Conversation.get_or_none()
            if conversation is not None and conversation.assignee_id == agent.id:
                break
            assert time.monotonic() < deadline and proc.poll() is None, log.read_text()
            time.sleep(0.2)
        everyone = descendants(proc.pid)
        dramatiq = {pid: _cmdline(pid) for pid in everyone if alive(pid)
                    and "dramatiq" in _cmdline(pid)}
        routing = {pid for pid, cmd in dramatiq.items() if cmd[-2:] == ["--queues", "routing"]}
        main = set(dramatiq) - routing
        assert routing and main, dramatiq
        assert {_nice(pid) for pid in routing} == {19}
        assert {_nice(pid) for pid in main} == {0}
        deadline = time.monotonic() + 10
        while "actor=route_conversation" not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        ran_in = {int(pid) for pid in re.findall(
            r"PID (\d+)\].*actor=route_conversation", log.read_text())}
        assert ran_in and ran_in <= routing, (ran_in, routing, log.read_text())
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=40)
    # And SIGTERM stops both processes of the role
    deadline = time.monotonic() + 10
    while any(alive(p) for p in everyone) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [p for p in everyone if alive(p)], log.read_text()
    assert "Killing worker process" not in log.read_text()


def test_a_routing_job_an_older_hub_left_in_the_inbound_queue_still_runs(client, tenant,
                                                                         emulator):
    """Before the routing queue, routing jobs went to `inbound`: after an upgrade, the ones still
    queued there are run by the main worker (Dramatiq runs a message by its actor's name)."""
    import dramatiq

    from tests.inbound.test_channels_routing_media import _agents, _conversation
    from tests.workers_fixture import start_worker
    from workers.broker import broker

    [agent] = _agents(tenant, 1)
    channel = create_channel(client, tenant, "whatsapp", emulator)
    conversation_id = _conversation(tenant, channel["id"], "queued-before-the-upgrade")
    main = start_worker(queues={"inbound"})  # the main process's queue, not `routing`
    try:
        broker.enqueue(dramatiq.Message(queue_name="inbound", actor_name="route_conversation",
                                        args=(conversation_id,), kwargs={}, options={}))
        main.drain()
    finally:
        main.stop()
    with hubdb.db.connection_context():
        assert Conversation.get_by_id(conversation_id).assignee_id == agent.id
