"""The channel a webhook is addressed to, with its decrypted config cached per process.

Every webhook needs the channel's secrets to check the signature. Loading the row through the
ORM and decrypting the credentials (Fernet + JSON) on each delivery was a fifth of a webhook
request, so the decrypted config is cached. The cache never serves stale secrets: each request
still reads the row's current columns with one primary-key lookup, and the cache key is the
encrypted columns themselves (a Fernet token changes with every re-encryption), so a change of
credentials, tokens or settings in any process is seen by the next request. Deleted or disabled
channels are refused from the same fresh row.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from types import MappingProxyType
from typing import Optional

from connectors.base import ChannelConfig
from hub.crypto import decrypt, decrypt_json
from hub.db import db
from hub.models import Channel

# Configs kept per process; the cache is dropped whole when it grows past this.
MAX_CACHED = 2048

_SQL = ('SELECT company_id, credentials_encrypted, settings, verify_token, '
        f'secret_token_encrypted FROM {Channel._meta.table_name} WHERE id = {{p}} '
        "AND kind = {p} AND deleted_at IS NULL AND status <> 'disabled'")


@dataclass(frozen=True)
class LiveChannel:
    """What the webhook intake needs of a channel: ids, kind and the connector's config."""

    id: str
    company_id: str
    kind: str
    config: ChannelConfig


_cache: dict[tuple, LiveChannel] = {}
_lock = threading.Lock()


def live_channel(kind: str, channel_id: str) -> Optional[LiveChannel]:
    """The live (not deleted, not disabled) channel of this kind, or None."""
    cursor = db.execute_sql(_SQL.format(p=db.param), (channel_id, kind))
    row = cursor.fetchone()
    cursor.close()
    if row is None:
        return None
    key = (channel_id, kind, *row)
    found = _cache.get(key)
    if found is None:
        found = _build(channel_id, kind, *row)
        with _lock:
            if len(_cache) >= MAX_CACHED:
                _cache.clear()
            _cache[key] = found
    return found


def _build(channel_id: str, kind: str, company_id: str, credentials: str, settings: Optional[str],
           verify_token: Optional[str], secret_token: Optional[str]) -> LiveChannel:
    config = ChannelConfig(
        id=channel_id,
        kind=kind,
        # Read-only: one cached config is shared by every request of this process.
        credentials=MappingProxyType(decrypt_json(credentials) if credentials else {}),
        settings=MappingProxyType(json.loads(settings) if settings else {}),
        verify_token=verify_token,
        secret_token=decrypt(secret_token) if secret_token else None,
    )
    return LiveChannel(id=channel_id, company_id=company_id, kind=kind, config=config)


def clear_cache() -> None:
    """Forget every cached config (tests; a rotated SECRET_KEY)."""
    with _lock:
        _cache.clear()
