"""Read receipts towards providers: the agent saw a contact's messages, tell the contact."""
from __future__ import annotations

import logging

import requests

from connectors.base import PermanentSendError
from connectors.registry import get_connector
from hub.channel_config import channel_config
from hub.models import Channel, Message

log = logging.getLogger("hub.delivery")


def mark_read_on_provider(message_ids: list[str]) -> int:
    """Mark the newest seen message of each conversation read where the provider supports it.

    WhatsApp marks every earlier message of the thread read with it, so one call per
    conversation is enough. Kinds without `mark_read` are skipped. Transient errors raise
    (the job retries); permanent ones are logged and skipped.
    """
    newest: dict[str, Message] = {}
    for m in (Message.select().where(Message.id.in_(list(message_ids)) & (Message.direction == "in")
                                     & Message.provider_message_id.is_null(False))
              .order_by(Message.timestamp)):
        newest[m.conversation_id] = m
    marked = 0
    with requests.Session() as http:
        for message in newest.values():
            channel = Channel.get_or_none(Channel.id == message.channel_id)
            if channel is None or channel.deleted_at is not None:
                continue
            try:
                connector = get_connector(channel.kind)
            except KeyError:
                continue
            if not hasattr(connector, "mark_read"):
                continue
            try:
                connector.mark_read(channel_config(channel), message.provider_message_id, http)
                marked += 1
            except PermanentSendError as exc:
                log.warning("mark_read refused message=%s code=%s reason=%s", message.id,
                            exc.code, exc.reason)
    return marked
