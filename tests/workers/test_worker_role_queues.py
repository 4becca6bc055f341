"""The worker role's processes between them serve every queue, each queue exactly once."""
from __future__ import annotations

from dramatiq.common import q_name

from hub.jobs import MAIN_QUEUES, ROUTING_QUEUE
from hub.settings import load_settings
from hub.supervisor import role_processes


def _settings(**env: str):
    return load_settings({"SECRET_KEY": "s" * 32, "HUB_DATA_DIR": "/nonexistent", **env})


def _queues(command: list[str]) -> list[str]:
    return command[command.index("--queues") + 1:]


def test_every_declared_queue_is_served_by_exactly_one_worker_process():
    import workers.actors  # noqa: F401  (declares every actor)
    from workers.broker import broker

    declared = {q_name(name) for name in broker.get_declared_queues()}
    served = [queue for process in role_processes("worker", _settings())
              for queue in _queues(process.command)]
    # A queue added without a place here would never be consumed by `hub worker`.
    assert sorted(served) == sorted(declared)
    assert set(MAIN_QUEUES) | {ROUTING_QUEUE} == declared


def test_routing_has_a_process_of_its_own_at_the_configured_niceness():
    main, routing = role_processes("worker", _settings(HUB_WORKER_PROCESSES="3",
                                                       HUB_ROUTING_THREADS="4"))
    assert (main.name, main.nice, _queues(main.command)) == ("worker", 0, list(MAIN_QUEUES))
    assert main.command[main.command.index("--processes") + 1] == "3"
    assert (routing.name, routing.nice, _queues(routing.command)) == ("routing", 19,
                                                                      [ROUTING_QUEUE])
    assert routing.command[routing.command.index("--threads") + 1] == "4"
    assert role_processes("worker", _settings(HUB_ROUTING_NICE="0"))[1].nice == 0


def test_a_niceness_outside_0_to_19_is_refused_with_its_name():
    for bad in ("-5", "20"):
        try:
            _settings(HUB_ROUTING_NICE=bad)
        except ValueError as exc:
            assert "HUB_ROUTING_NICE" in str(exc)
        else:
            raise AssertionError(f"{bad} was accepted")
