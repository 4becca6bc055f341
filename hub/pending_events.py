"""Events that overtook their message: parked, then applied when the message is stored.

An edit, a deletion or a reaction whose target is not stored yet, and an echo of one of our own
outgoing messages that arrives while its delivery is still `sending` (the provider answered the
echo before `deliver` recorded the id), are parked in PendingEvent. They are applied (or, for an
echo of a message we now know, discarded) when the message is inserted by a webhook job or when
`deliver` records the provider's ids; the parking and the storing side both take the provider
id's lock (`messages.lock_provider_id`, PostgreSQL), so neither misses the other's uncommitted
row. An echo whose id no delivery claimed is inserted as an agent message once no delivery to
that contact is in flight (after each delivery and by the webhook sweeper), so a message typed
in the provider's own app is never lost.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import datetime, timedelta
from typing import Any, Iterable, Optional

from hub.db import is_postgres
from hub.events import ContactProfile, InboundMessage, MediaRef, MessageDeletion, MessageEdit, \
    Reaction
from hub.models import Channel, ContactIdentity, Conversation, Delivery, Message, PendingEvent, \
    new_id, utcnow

KINDS = {"edit": MessageEdit, "deletion": MessageDeletion, "reaction": Reaction,
         "echo": InboundMessage}
# Parked echoes older than this are released by the sweeper even if a delivery seems in flight
# (its worker died; the stuck-delivery sweeper resends it under a new id anyway).
ECHO_MAX_WAIT = timedelta(minutes=5)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$dt"}:
            return datetime.fromisoformat(value["$dt"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def event_from_json(kind: str, data: dict[str, Any]) -> Any:
    """The normalized event a PendingEvent row holds."""
    fields = _decode(data)
    fields["contact"] = ContactProfile(**fields["contact"])
    if "media" in fields:
        fields["media"] = [MediaRef(**m) for m in fields["media"]]
    return KINDS[kind](**fields)


def park(channel: Channel, kind: str, provider_message_id: str, event: Any) -> None:
    """Keep `event` until `provider_message_id` is stored; a rerun of the job parks nothing new.

    Only after a lookup that missed the message and followed `messages.lock_provider_id` in
    this transaction (`messages.find_or_lock`): a job storing the message meanwhile would
    otherwise not see this row, nor this job its message, and the event would wait forever.
    """
    data = _encode(dataclasses.asdict(event))
    digest = hashlib.sha256(f"{kind}|{json.dumps(data, sort_keys=True)}".encode()).hexdigest()
    timestamp = getattr(event, "timestamp", None) or utcnow()
    PendingEvent.insert(id=new_id(), channel=channel.id, kind=kind,
                        provider_message_id=provider_message_id,
                        external_id=event.contact.external_id, dedupe_key=digest, event=data,
                        timestamp=timestamp, created_at=utcnow()).on_conflict_ignore().execute()


def delivery_in_flight(channel: Channel, external_id: str) -> bool:
    """Is one of our messages to this contact being sent right now?

    On PostgreSQL the delivery rows are locked: `deliver` recording its outcome waits for this
    job's commit (then finds the parked echo), or this job waits for it (then finds the id).
    """
    query = (Delivery.select(Delivery.id)
             .join(Message, on=(Delivery.message == Message.id))
             .join(Conversation, on=(Message.conversation == Conversation.id))
             .join(ContactIdentity, on=(ContactIdentity.contact == Conversation.contact))
             .where((Delivery.channel == channel.id) & (Delivery.status == "sending")
                    & (ContactIdentity.channel == channel.id)
                    & (ContactIdentity.external_id == external_id)))
    if is_postgres():
        # In id order, like `lock_in_flight`: lockers of one contact's rows never wait in a circle.
        query = query.order_by(Delivery.id).for_update(of=Delivery)
    return bool(list(query))


def lock_in_flight(message: Message) -> None:
    """Lock the deliveries in flight to this message's contact, in id order (PostgreSQL).

    `deliver` calls it first in the transaction that records an outcome, before it writes its
    own row: two outcomes for one contact then queue here instead of each holding its own row
    while `after_delivery` waits for the other's (a deadlock PostgreSQL ends by failing one).
    The rows are those `delivery_in_flight` locks for any of the contact's identities.
    """
    if not is_postgres():
        return  # SQLite runs one write transaction at a time
    contact = Conversation.select(Conversation.contact).where(
        Conversation.id == message.conversation_id)
    list(Delivery.select(Delivery.id)
         .join(Message, on=(Delivery.message == Message.id))
         .join(Conversation, on=(Message.conversation == Conversation.id))
         .where((Delivery.channel == message.channel_id) & (Delivery.status == "sending")
                & Conversation.contact.in_(contact))
         .order_by(Delivery.id).for_update(of=Delivery))


def apply_parked(channel: Channel, provider_message_ids: Iterable[str], out: Any) -> None:
    """Apply the events waiting for these (now stored) messages; drop echoes of them."""
    from hub.inbound_apply import HANDLERS  # inbound_apply calls us: import at use

    ids = [i for i in provider_message_ids if i]
    if not ids:
        return
    rows = list(PendingEvent.select().where((PendingEvent.channel == channel.id)
                                            & PendingEvent.provider_message_id.in_(ids))
                .order_by(PendingEvent.timestamp, PendingEvent.created_at))
    if not rows:
        return
    PendingEvent.delete().where(PendingEvent.id.in_([r.id for r in rows])).execute()
    for row in rows:
        if row.kind != "echo":  # an echo of a stored message is that message: nothing to do
            event = event_from_json(row.kind, row.event)
            HANDLERS[type(event)](channel, event, out)


def release_echoes(channel: Channel, external_id: str, out: Any,
                   older_than: Optional[datetime] = None) -> int:
    """Insert parked echoes no delivery claimed, once nothing to the contact is in flight."""
    from hub.inbound_apply import apply_message

    if older_than is None and delivery_in_flight(channel, external_id):
        return 0
    query = PendingEvent.select().where((PendingEvent.channel == channel.id)
                                        & (PendingEvent.kind == "echo")
                                        & (PendingEvent.external_id == external_id))
    if older_than is not None:
        query = query.where(PendingEvent.created_at < older_than)
    rows = list(query.order_by(PendingEvent.timestamp))
    for row in rows:
        if PendingEvent.delete().where(PendingEvent.id == row.id).execute():
            # insert-or-ignore: an echo whose id a delivery recorded meanwhile adds nothing
            apply_message(channel, event_from_json("echo", row.event), out, release=True)
    return len(rows)


def _contact_ids(channel: Channel, message: Message) -> list[str]:
    conversation = Conversation.get_by_id(message.conversation_id)
    return [i.external_id for i in ContactIdentity.select(ContactIdentity.external_id).where(
        (ContactIdentity.channel == channel.id)
        & (ContactIdentity.contact == conversation.contact_id))]


def after_delivery(channel: Channel, message: Message, provider_message_ids: list[str]) -> None:
    """`deliver` recorded an outcome: settle what waited for it (call inside its transaction)."""
    from hub.inbound import publish_outcome
    from hub.inbound_apply import Outcome

    out = Outcome()
    apply_parked(channel, provider_message_ids, out)
    for external_id in _contact_ids(channel, message):
        release_echoes(channel, external_id, out)
    publish_outcome(channel, out)


def sweep_stale_echoes() -> int:
    """Insert echoes parked longer than ECHO_MAX_WAIT (their delivery's worker died)."""
    from hub.db import transaction
    from hub.inbound import publish_outcome
    from hub.inbound_apply import Outcome

    cutoff = utcnow() - ECHO_MAX_WAIT
    pairs = {(r.channel_id, r.external_id) for r in PendingEvent.select(
        PendingEvent.channel, PendingEvent.external_id).where(
        (PendingEvent.kind == "echo") & (PendingEvent.created_at < cutoff))}
    released = 0
    for channel_id, external_id in sorted(pairs):
        channel = Channel.get_by_id(channel_id)
        out = Outcome()
        with transaction():
            released += release_echoes(channel, external_id, out, older_than=cutoff)
            publish_outcome(channel, out)
    return released
