"""The Redis client every part of the hub shares (the embedded server or an external one)."""
from __future__ import annotations

import threading
from typing import Optional

import redis

from hub.settings import get_settings

_lock = threading.Lock()
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
            _client = redis.Redis.from_url(url, health_check_interval=30,
                                           socket_connect_timeout=5)
            _client_url = url
        return _client


def key(*parts: object) -> str:
    """A namespaced Redis key: `<namespace>:<part>:<part>...`."""
    return ":".join([get_settings().redis_namespace, *map(str, parts)])
