"""Presence when a process's keep-alive and sweep run between a socket's steps."""
from __future__ import annotations

from hub import presence
from tests.web.crm_helpers import events_of


def _statuses(company_id: str, user_id: str) -> list[str]:
    return [e["data"]["status"] for e in events_of(company_id, "presence")
            if e["data"]["userId"] == user_id]


def test_a_sweep_before_the_socket_counts_never_calls_the_agent_away(db_conn, tenant):
    # Given a socket registered by its process but not counted yet (its first activity unwritten)
    agent, _ = tenant.add_user("support")
    # When the process's presence loop keeps it alive and sweeps first
    presence.keep_alive([(agent.id, "socket-1")])
    presence.sweep({agent.id})
    # Then nothing counts it, and opening it makes the agent online
    assert presence.socket_opened(agent.id, "socket-1") == "online"
    assert "away" not in _statuses(tenant.company.id, agent.id)
    assert _statuses(tenant.company.id, agent.id)[-1] == "online"


def test_a_keep_alive_after_the_close_does_not_bring_the_socket_back(db_conn, tenant):
    # Given an agent whose only socket closes while the loop holds an old snapshot of it
    agent, _ = tenant.add_user("support")
    presence.socket_opened(agent.id, "socket-1")
    assert presence.socket_closed(agent.id, "socket-1") == "offline"
    # When the loop's keep-alive and sweep run with that snapshot
    presence.keep_alive([(agent.id, "socket-1")])
    presence.sweep({agent.id})
    # Then the agent stays offline
    assert _statuses(tenant.company.id, agent.id) == ["online", "offline"]


def test_an_agent_who_hides_their_status_shows_offline_in_presence_events(db_conn, tenant):
    agent, _ = tenant.add_user("support", settings={"privacy": {"showStatus": False}})
    assert presence.socket_opened(agent.id, "socket-1") == "online"
    assert _statuses(tenant.company.id, agent.id) == ["offline"]
