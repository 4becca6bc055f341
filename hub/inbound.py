"""Processing one raw webhook event: parse, apply every normalized event in one transaction.

Runs in the `process_webhook` job. After the commit it publishes the realtime events and
enqueues media downloads and routing. Running it twice has the effect of running it once.
"""
from __future__ import annotations

import json
import logging
from typing import Optional

from connectors.registry import get_connector
from hub.db import transaction
from hub.events import Ignored
from hub.inbound_apply import HANDLERS, Outcome
from hub.jobs import enqueue_after_commit
from hub.models import Channel, Conversation, Message, WebhookEvent, utcnow
from hub.prepared import prepared
from hub.presenters import conversation_dict, message_dict
from hub.realtime import publish_many_after_commit

log = logging.getLogger("hub.inbound")

# Statuses after which an event is done; a rerun of its job returns at once.
DONE = ("processed", "ignored")


class UnprocessableEvent(Exception):
    """The stored body cannot be processed, whatever the number of retries."""


def process_webhook_event(event_id: str) -> Optional[str]:
    """Apply the raw event `event_id`; returns its final status (None if it does not exist)."""
    # The event and its channel in one SELECT.
    event = prepared("webhook_event.with_channel", lambda S: (
        WebhookEvent.select(WebhookEvent, Channel)
        .join(Channel, on=(WebhookEvent.channel == Channel.id))
        .where(WebhookEvent.id == S(0)).limit(1))).first(event_id)
    if event is None:
        return None
    if event.status in DONE:
        return event.status
    channel = event.channel
    try:
        payload = json.loads(event.body)
    except ValueError as exc:
        raise UnprocessableEvent(f"stored body is not JSON: {exc}") from exc
    events = get_connector(channel.kind).parse(payload)
    out = Outcome()
    with transaction():
        for normalized in events:
            if isinstance(normalized, Ignored):
                out.ignored += 1
                continue
            HANDLERS[type(normalized)](channel, normalized, out)
            out.acted += 1
        status = "ignored" if out.acted == 0 else "processed"
        prepared("webhook_event.done", lambda S: (
            WebhookEvent.update(status=S(0), processed_at=S(1), error=None,
                                attempts=WebhookEvent.attempts + 1)
            .where(WebhookEvent.id == S(2)))).run(status, utcnow(), event.id)
        publish_outcome(channel, out)
    return status


def publish_outcome(channel: Channel, out: Outcome) -> None:
    """Queue the realtime events and follow-up jobs; they run once the transaction commits.

    Payloads come from the rows the handlers already hold (RETURNING), read again only when
    something changed them after that; all events go to Redis in one pipelined round trip.
    """
    company_id = channel.company_id
    new = set(out.new_conversations)
    events: list = []
    for conversation_id in dict.fromkeys(out.new_conversations + out.touched_conversations):
        conversation = out.conversations.get(conversation_id) \
            or Conversation.get_by_id(conversation_id)
        kind = "conversation.created" if conversation_id in new else "conversation.updated"
        contact = out.contacts.get(conversation.contact_id) if conversation.contact_id else None
        events.append((kind, conversation_dict(conversation, channel=channel, contact=contact),
                       conversation_id, None))
    updated = set(out.updated_messages)
    for message_id in out.created_messages:
        message = out.messages.get(message_id)
        attachments = out.message_attachments.get(message_id)
        if message is None or message_id in out.stale_messages or message_id in updated:
            message, attachments = Message.get_by_id(message_id), None
        events.append(("message.created",
                       message_dict(message, attachments, platform=channel.kind),
                       message.conversation_id, None))
    for message_id in dict.fromkeys(out.updated_messages):
        if message_id in out.created_messages:
            continue
        message = Message.get_by_id(message_id)
        events.append(("message.updated", message_dict(message, platform=channel.kind),
                       message.conversation_id, None))
    publish_many_after_commit(company_id, events)
    for attachment_id in out.attachments:
        enqueue_after_commit("download_media", attachment_id)
    for conversation_id in out.new_conversations:
        enqueue_after_commit("route_conversation", conversation_id)
