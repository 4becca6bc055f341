"""The bridge from a Channel row to the ChannelConfig a connector receives (secrets decrypted).

Decrypting is the costly part, and the same ciphertext always decrypts to the same secret, so
each process keeps decrypted secrets for a short while keyed by the ciphertext itself: a
rotated credential is new ciphertext and is decrypted afresh at once, whatever `updated_at`
says. Settings are read from the row every time.
"""
from __future__ import annotations

import threading
import time
from typing import Any, Optional

from connectors.base import ChannelConfig
from hub.crypto import decrypt, decrypt_json
from hub.models import Channel
from hub.settings import get_settings

# Seconds a decrypted secret stays in a process's memory.
SECRET_TTL = 60.0
# Most ciphertexts kept; past it the cache starts over (a hub has few channels).
SECRET_CACHE_MAX = 1024

_cache: dict[tuple[str, str, str], tuple[float, Any]] = {}
_lock = threading.Lock()


def _decrypted(kind: str, token: str) -> Any:
    """`decrypt_json` (kind "json") or `decrypt` of `token`, from the cache while fresh."""
    now = time.monotonic()
    key = (kind, token, get_settings().secret_key)  # a changed SECRET_KEY must not be served
    with _lock:
        hit = _cache.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    value = decrypt_json(token) if kind == "json" else decrypt(token)
    with _lock:
        if len(_cache) >= SECRET_CACHE_MAX:
            _cache.clear()
        _cache[key] = (now + SECRET_TTL, value)
    return value


def channel_config(channel: Channel) -> ChannelConfig:
    credentials = _decrypted("json", channel.credentials_encrypted)
    secret: Optional[str] = _decrypted("text", channel.secret_token_encrypted) \
        if channel.secret_token_encrypted else None
    return ChannelConfig(
        id=channel.id,
        kind=channel.kind,
        credentials=dict(credentials),  # a copy: a connector may not change the cached one
        settings=dict(channel.settings or {}),
        verify_token=channel.verify_token,
        secret_token=secret,
    )
