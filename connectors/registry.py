"""Maps a channel kind to its connector."""
from __future__ import annotations

import importlib

from connectors.base import Connector

# Kinds the hub knows, and the module whose `connector` object serves each.
KINDS = {
    "whatsapp": "connectors.whatsapp",
    "instagram": "connectors.instagram",
    "messenger": "connectors.messenger",
    "telegram": "connectors.telegram",
    "widget": "connectors.widget",
}

_cache: dict[str, Connector] = {}


def get_connector(kind: str) -> Connector:
    """The connector for `kind`; KeyError for a kind the hub does not know."""
    if kind not in KINDS:
        raise KeyError(kind)
    if kind not in _cache:
        _cache[kind] = importlib.import_module(KINDS[kind]).connector
    return _cache[kind]
