"""Applying one normalized inbound event to the database (called inside one transaction).

Each handler is idempotent: inserts are insert-or-ignore on unique keys, updates are
conditional, so a rerun of a job (redelivery, a worker killed half-way, a replay) changes
nothing the first run already did.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from hub import pending_events, statuses, test_hooks
from hub.contacts import upsert_contact
from hub.conversations import ensure_open_conversation
from hub.events import (InboundMessage, MessageDeletion, MessageEdit, Reaction, ReadWatermark,
                        StatusUpdate)
from hub.messages import advance_status, apply_pending_statuses, apply_status, find_message, \
    find_or_lock, insert_message, lock_provider_id, touch_conversation, waiting_for
from hub.models import Attachment, Channel, Contact, ContactIdentity, Conversation, Message
from hub.presenters import iso

# Default content type of a file until its download tells the real one.
UNKNOWN_TYPE = "application/octet-stream"


@dataclass
class Outcome:
    """What one raw event changed, for the after-commit publishing and follow-up jobs."""

    created_messages: list[str] = field(default_factory=list)
    updated_messages: list[str] = field(default_factory=list)
    new_conversations: list[str] = field(default_factory=list)
    touched_conversations: list[str] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    # Rows already in hand, so publishing needs no re-read: a message as its INSERT returned
    # it (with its attachments), a conversation as its last UPDATE returned it, a contact as
    # upserted. `stale_messages` changed after that (parked events, pending statuses).
    messages: dict[str, Message] = field(default_factory=dict)
    message_attachments: dict[str, list[Attachment]] = field(default_factory=dict)
    stale_messages: set[str] = field(default_factory=set)
    conversations: dict[str, Conversation] = field(default_factory=dict)
    contacts: dict[str, Contact] = field(default_factory=dict)
    acted: int = 0
    ignored: int = 0


def apply_message(channel: Channel, e: InboundMessage, out: Outcome, release: bool = False) -> None:
    """Contact, open conversation, message (unique per provider id), its files and statuses.

    An echo with an unknown id while a delivery to the contact is `sending` may be that very
    message, answered by the provider before `deliver` recorded its id: it is parked instead
    (`release=True` when pending_events inserts it after all).

    Parking and storing a message both take the lock of its provider id (`lock_provider_id`):
    whatever was parked for it meanwhile is applied here, in the same transaction.
    """
    if e.direction == "out" and not release:
        if find_message(channel.id, e.provider_message_id) is not None:
            return  # the echo of a message we stored (or of a later part of one we sent)
        if (pending_events.delivery_in_flight(channel, e.contact.external_id)
                # the provider id's lock after the delivery rows', in the order `deliver` takes
                and (not lock_provider_id(channel.id, e.provider_message_id)
                     or find_message(channel.id, e.provider_message_id) is None)):
            pending_events.park(channel, "echo", e.provider_message_id, e)
            return
    new_contact: list[bool] = []
    contact = upsert_contact(channel.company_id, channel.id, e.contact, created=new_contact)
    out.contacts[contact.id] = contact
    conversation, conversation_created = ensure_open_conversation(
        channel.company_id, channel.id, contact.id, started_at=e.timestamp,
        new_contact=bool(new_contact))
    reply_to = find_message(channel.id, e.reply_to_provider_id) if e.reply_to_provider_id else None
    incoming = e.direction == "in"
    row, created = insert_message(
        company=channel.company_id, conversation=conversation.id, channel=channel.id,
        provider_message_id=e.provider_message_id, direction=e.direction,
        sender_type="customer" if incoming else "agent",
        sender_name=e.sender_name or (contact.name if incoming else None),
        message_type=e.message_type, content=e.text or "", payload=e.payload or {},
        reply_to=reply_to.id if reply_to else None, reply_to_provider_id=e.reply_to_provider_id,
        status="received" if incoming else "sent", sent_at=None if incoming else e.timestamp,
        timestamp=e.timestamp)
    if conversation_created:
        out.new_conversations.append(conversation.id)
        out.conversations[conversation.id] = conversation
    if not created:
        return
    test_hooks.pause_after_insert()  # a no-op unless a test asks to kill the worker here
    attachments = []
    for media in e.media:
        attachment = Attachment.create(
            company=channel.company_id, message=row.id, kind=media.kind,
            name=media.filename or media.kind, content_type=media.mime_type or UNKNOWN_TYPE,
            size=media.size or 0, sha256=media.sha256, provider_media_id=media.provider_media_id,
            source_url=media.url, status="pending")
        attachments.append(attachment)
        out.attachments.append(attachment.id)
    touched = touch_conversation(conversation.id, row)
    if touched is not None:
        out.conversations[conversation.id] = touched
    apply_waiting(channel, row, out)
    out.messages[row.id] = row
    out.message_attachments[row.id] = attachments
    out.created_messages.append(row.id)
    out.touched_conversations.append(conversation.id)


def apply_waiting(channel: Channel, row: Message, out: Outcome) -> None:
    """What arrived before this just-stored message: replies quoting it, statuses and events
    parked for its provider id. Call it in the transaction that stored the message.

    The provider id's lock first (PostgreSQL), as a statement of its own: a status or event
    parked by a transaction that missed this uncommitted message is committed before the check
    reads. One SELECT tells what waits; each follow-up statement runs only if needed.
    """
    if not row.provider_message_id:
        return
    lock_provider_id(channel.id, row.provider_message_id)
    statuses_wait, events_wait, replies_wait = waiting_for(channel.id, row.provider_message_id)
    if replies_wait:  # replies that arrived before the message they quote now point at it
        (Message.update(reply_to=row.id)
         .where((Message.channel == channel.id) & (Message.reply_to_provider_id
                                                   == row.provider_message_id)
                & Message.reply_to.is_null()).execute())
    if statuses_wait:
        apply_pending_statuses(row)
        out.stale_messages.add(row.id)
    if events_wait:
        pending_events.apply_parked(channel, [row.provider_message_id], out)
        out.stale_messages.add(row.id)


def apply_edit(channel: Channel, e: MessageEdit, out: Outcome) -> None:
    """New text for a stored message, keeping the previous versions in payload.editHistory."""
    row = find_or_lock(channel.id, e.provider_message_id, for_update=True)
    if row is None:  # the edit overtook its message: applied when the message arrives
        pending_events.park(channel, "edit", e.provider_message_id, e)
        return
    if row.edited_at is not None and row.edited_at >= e.timestamp:
        return  # this edit, or a later one, is already applied
    payload = dict(row.payload or {})
    history = list(payload.get("editHistory") or [])
    history.append({"content": row.content, "until": iso(e.timestamp)})
    payload["editHistory"] = history
    Message.update(content=e.text or "", edited_at=e.timestamp, payload=payload).where(
        Message.id == row.id).execute()
    out.updated_messages.append(row.id)


def apply_deletion(channel: Channel, e: MessageDeletion, out: Outcome) -> None:
    """The contact unsent a message: keep the row (history), mark it deleted."""
    row = find_or_lock(channel.id, e.provider_message_id)
    if row is None:  # applied when the message arrives
        pending_events.park(channel, "deletion", e.provider_message_id, e)
        return
    if (Message.update(deleted_at=e.timestamp)
            .where((Message.id == row.id) & Message.deleted_at.is_null()).execute()):
        out.updated_messages.append(row.id)


def apply_reaction(channel: Channel, e: Reaction, out: Outcome) -> None:
    """Set or remove the contact's reaction in payload.reactions (one per reactor, latest wins)."""
    row = find_or_lock(channel.id, e.target_provider_message_id, for_update=True)
    if row is None:  # the reaction overtook its message: applied when the message arrives
        pending_events.park(channel, "reaction", e.target_provider_message_id, e)
        return
    payload = dict(row.payload or {})
    reactions = [r for r in payload.get("reactions") or [] if r.get("by") != e.contact.external_id]
    previous = next((r for r in payload.get("reactions") or []
                     if r.get("by") == e.contact.external_id), None)
    if previous and previous.get("at") and previous["at"] >= iso(e.timestamp):
        return  # a later (or the same) reaction is already stored
    if e.emoji:
        reactions.append({"by": e.contact.external_id, "emoji": e.emoji, "at": iso(e.timestamp)})
    elif previous is None:
        return
    payload["reactions"] = reactions
    Message.update(payload=payload).where(Message.id == row.id).execute()
    out.updated_messages.append(row.id)


def apply_status_update(channel: Channel, e: StatusUpdate, out: Outcome) -> None:
    """Monotonic status of one of our messages; parked until the message exists."""
    apply_status(channel.id, e.provider_message_id, e.status, e.timestamp, e.error_code,
                 e.error_reason)


def apply_watermark(channel: Channel, e: ReadWatermark, out: Outcome) -> None:
    """Everything we sent the contact up to the watermark is read."""
    identity = (ContactIdentity.select()
                .where((ContactIdentity.channel == channel.id)
                       & (ContactIdentity.external_id == e.contact.external_id)).first())
    if identity is None:
        return
    unread = (Message.select().join(Conversation, on=(Message.conversation == Conversation.id))
              .where((Message.channel == channel.id) & (Conversation.contact == identity.contact_id)
                     & (Message.direction == "out") & (Message.timestamp <= e.watermark)
                     & Message.status.in_(statuses.lower_than("read"))))
    for message in unread:
        advance_status(message, "read", e.timestamp)


HANDLERS = {InboundMessage: apply_message, MessageEdit: apply_edit,
            MessageDeletion: apply_deletion, Reaction: apply_reaction,
            StatusUpdate: apply_status_update, ReadWatermark: apply_watermark}


