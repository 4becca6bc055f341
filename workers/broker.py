"""The Dramatiq broker, built in one place from the settings, before any actor is declared."""
from __future__ import annotations

from typing import Any, Optional

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import CurrentMessage

from hub import jobs
from hub.settings import get_settings
from workers.middleware import DatabaseMiddleware, HeartbeatMiddleware, JobLogMiddleware


def build_broker() -> RedisBroker:
    settings = get_settings()
    if not settings.redis_url:
        raise RuntimeError("REDIS_URL is not set; `hub` starts the embedded Redis and sets it")
    broker = RedisBroker(url=settings.redis_url, namespace=f"{settings.redis_namespace}:dq",
                         heartbeat_timeout=settings.broker_heartbeat_timeout_ms,
                         maintenance_chance=settings.broker_maintenance_chance)
    broker.add_middleware(CurrentMessage())
    broker.add_middleware(DatabaseMiddleware())
    broker.add_middleware(JobLogMiddleware())
    broker.add_middleware(HeartbeatMiddleware())
    return broker


broker = build_broker()
dramatiq.set_broker(broker)


def dispatch(actor_name: str, args: tuple, delay_ms: Optional[int]) -> Any:
    """Send `actor_name(*args)`; actors are looked up by name so the core needs no imports."""
    import workers.actors  # noqa: F401  (declares every actor on this broker)

    return broker.get_actor(actor_name).send_with_options(args=args, delay=delay_ms)


jobs.set_dispatcher(dispatch)
