"""The channel a webhook is addressed to, with its decrypted config cached per process.

Every webhook needs the channel's secrets to check the signature. Loading the row through the
ORM and decrypting the credentials (Fernet + JSON) on each delivery was a fifth of a webhook
request, so the decrypted config is cached. The cache never serves stale secrets: each request
still reads the row's current columns with one primary-key lookup, and the cache key is the
encrypted columns themselves (a Fernet token changes with every re-encryption), so a change of
credentials, tokens or settings in any process is seen by the next request. Deleted or disabled
channels are refused from the same fresh row.

Concurrent lookups share that read (hub.coalesce): one `WHERE id IN (...)` for every request
that arrived while the previous read was running. Each read still starts after the request
arrived, so it is as fresh as a read of its own.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from types import MappingProxyType
from typing import Optional, Sequence

from connectors.base import ChannelConfig
from hub.coalesce import Coalescer
from hub.crypto import decrypt, decrypt_json
from hub.db import connection, db
from hub.models import Channel

# Configs kept per process; the cache is dropped whole when it grows past this.
MAX_CACHED = 2048

_SQL = ('SELECT id, kind, company_id, credentials_encrypted, settings, verify_token, '
        f'secret_token_encrypted FROM {Channel._meta.table_name} WHERE id IN ({{ids}}) '
        "AND deleted_at IS NULL AND status <> 'disabled'")


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
    row = _reader.submit(channel_id)
    if row is None or row[1] != kind:
        return None
    key = tuple(row)
    found = _cache.get(key)
    if found is None:
        found = _build(*row)
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


def _read_rows(channel_ids: Sequence[str]) -> list[object]:
    """The live rows of these channels in one query; None for an id that has none."""
    unique = list(dict.fromkeys(channel_ids))
    with connection():  # the webhook endpoint opens none of its own
        cursor = db.execute_sql(_SQL.format(ids=", ".join([db.param] * len(unique))), unique)
        rows = {row[0]: row for row in cursor.fetchall()}
        cursor.close()
    return [rows.get(channel_id) for channel_id in channel_ids]


_reader: Coalescer[str, Optional[tuple]] = Coalescer(_read_rows)


def clear_cache() -> None:
    """Forget every cached config (tests; a rotated SECRET_KEY)."""
    with _lock:
        _cache.clear()
