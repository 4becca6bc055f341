"""The Redis client every part of the hub shares (the embedded server or an external one)."""
from __future__ import annotations

import threading
from typing import Optional

import redis

from hub.settings import get_settings

_lock = threading.Lock()

# Connections one process keeps to Redis at the most. Under gevent a web process runs thousands
# of greenlets, and a burst of them (sockets connecting by the hundred, each reading its
# company's last event id) can want a connection at once: they wait for a free one, up to
# POOL_WAIT_SECONDS, instead of failing as redis-py's plain pool does past its cap.
MAX_CONNECTIONS = 100
POOL_WAIT_SECONDS = 10
_client: Optional[redis.Redis] = None
_client_url: Optional[str] = None


def redis_url() -> str:
    url = get_settings().redis_url
    if not url:
        raise RuntimeError("REDIS_URL is not set; the CLI starts the embedded Redis before use")
    return url


def get_redis() -> redis.Redis:
    """A pooled client for the configured URL (rebuilt if the settings changed, as in tests)."""
    global _client, _client_url
    url = redis_url()
    with _lock:
        if _client is None or _client_url != url:
            pool = redis.BlockingConnectionPool.from_url(
                url, max_connections=MAX_CONNECTIONS, timeout=POOL_WAIT_SECONDS,
                health_check_interval=30, socket_connect_timeout=5)
            _client = redis.Redis(connection_pool=pool)
            _client_url = url
        return _client


def key(*parts: object) -> str:
    """A namespaced Redis key: `<namespace>:<part>:<part>...`."""
    return ":".join([get_settings().redis_namespace, *map(str, parts)])
