"""The visitor fan-out: one Redis pub/sub channel that every web process listens to.

Agent replies, typing and read marks for visitors are published here with the visitor id;
each web process hands an event to the sockets of that visitor it holds (usually none).
"""
from __future__ import annotations

import json
from typing import Any

from hub.redis_client import get_redis, key


def visitor_channel() -> str:
    return key("widget", "live")


def publish_to_visitor(channel_id: str, visitor_id: str, type: str, data: dict[str, Any]) -> int:
    """Publish an event for one visitor; returns how many web processes received it."""
    event = {"channelId": channel_id, "visitorId": visitor_id, "type": type, "data": data}
    return int(get_redis().publish(visitor_channel(), json.dumps(event, default=str)))
