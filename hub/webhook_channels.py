"""The channel a webhook is addressed to, with its decrypted config cached per process.

Every webhook needs the channel's secrets to check the signature. Loading the row through the
ORM and decrypting the credentials (Fernet + JSON) on each delivery was a fifth of a webhook
request, and reading the row again for each batch of deliveries, only to learn that it had not
changed, was a database round trip of its own, paid in the web process and in PostgreSQL. So a
delivery is checked against the cached config, and the INSERT that commits it carries the
config's columns as a guard (`LiveChannel.guard`, see hub.webhook_intake): it writes the event
only if, at that moment, the channel is still live and its credentials, tokens and settings are
still those the signature was checked with. A delivery the guard refuses is checked again on a
fresh read (`live_channel`), so a change in any process is seen by the next delivery, as when
every delivery read the row, and a deleted or disabled channel stores nothing.

Concurrent reads share one query (hub.coalesce): one `WHERE id IN (...)` for every request that
arrived while the previous read was running. Each read still starts after the request arrived,
so it is as fresh as a read of its own.
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

# The columns a config is built from, which are also those its guard compares.
GUARDED_COLUMNS = ("id", "kind", "company_id", "credentials_encrypted", "settings",
                   "verify_token", "secret_token_encrypted")
# Only channels that may receive: the same condition in the read and in the guard.
LIVE = "{c}deleted_at IS NULL AND {c}status <> 'disabled'"
# Compared as stored; a NULL compares as ''.
NULLABLE = ("settings", "verify_token", "secret_token_encrypted")

_SQL = (f"SELECT {', '.join(GUARDED_COLUMNS)} FROM {Channel._meta.table_name} "
        f"WHERE id IN ({{ids}}) AND {LIVE.format(c='')}")


class StaleChannel(Exception):
    """The cached config a delivery was checked with is no longer the channel's: check again."""


@dataclass(frozen=True)
class LiveChannel:
    """What the webhook intake needs of a channel: ids, kind and the connector's config.

    `guard` is the row the config was built from (GUARDED_COLUMNS), for a config that may be
    older than the delivery; None for a channel the caller has just read itself.
    """

    id: str
    company_id: str
    kind: str
    config: ChannelConfig
    guard: Optional[tuple] = None


_cache: dict[str, LiveChannel] = {}
_lock = threading.Lock()


def cached_channel(kind: str, channel_id: str) -> Optional[LiveChannel]:
    """The channel's cached config, read on first use; None if it is not live or another kind.

    A hit reads nothing: the delivery's INSERT checks the guard.
    """
    found = _cache.get(channel_id)
    if found is not None and found.kind == kind:
        return found
    return live_channel(kind, channel_id)


def live_channel(kind: str, channel_id: str) -> Optional[LiveChannel]:
    """The live (not deleted, not disabled) channel of this kind as it is now, or None."""
    row = _reader.submit(channel_id)
    if row is None:
        with _lock:
            _cache.pop(channel_id, None)
        return None
    row = tuple(row)
    found = _cache.get(channel_id)
    if found is None or found.guard != row:
        found = _build(row)
        with _lock:
            if len(_cache) >= MAX_CACHED:
                _cache.clear()
            _cache[channel_id] = found
    return found if found.kind == kind else None


def _build(row: tuple) -> LiveChannel:
    channel_id, kind, company_id, credentials, settings, verify_token, secret_token = row
    config = ChannelConfig(
        id=channel_id,
        kind=kind,
        # Read-only: one cached config is shared by every request of this process.
        credentials=MappingProxyType(decrypt_json(credentials) if credentials else {}),
        settings=MappingProxyType(json.loads(settings) if settings else {}),
        verify_token=verify_token,
        secret_token=decrypt(secret_token) if secret_token else None,
    )
    return LiveChannel(id=channel_id, company_id=company_id, kind=kind, config=config,
                       guard=row)


def guard_condition(alias: str) -> str:
    """SQL true for the channel row `alias` if it is live and equal to a guard (its params:
    `guard_params`)."""
    same = " AND ".join(f"COALESCE({alias}.{name}, '') = {db.param}" if name in NULLABLE
                        else f"{alias}.{name} = {db.param}" for name in GUARDED_COLUMNS)
    return f"({LIVE.format(c=alias + '.')} AND {same})"


def guard_params(guard: tuple) -> list:
    return [value if value is not None else "" for value in guard]


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
