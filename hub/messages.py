"""Messages: idempotent inserts, monotonic statuses, thread order, read marks."""
from __future__ import annotations

import hashlib
from contextlib import nullcontext
from datetime import datetime
from typing import Any, Iterable, Optional

import peewee

from hub import statuses
from hub.db import db, is_postgres, transaction
from hub.jobs import enqueue_after_commit
from hub.models import Attachment, Conversation, Message, MessagePart, PendingEvent, \
    PendingStatus, new_id, utcnow
from hub.prepared import prepared
from hub.presenters import message_dict
from hub.realtime import publish_after_commit

# Characters of a message shown in the conversation list.
PREVIEW_LENGTH = 140


def insert_message(**fields: Any) -> tuple[Message, bool]:
    """Insert a message unless the same one exists; (row, created).

    Unique on (channel, provider_message_id) for provider messages and on (conversation,
    client_message_id) for clients' own idempotency keys, so redelivery and a rerun of a job
    killed half-way find the row instead of adding a second one. Call inside a transaction.
    """
    fields.setdefault("id", new_id())
    if isinstance(fields.get("content"), str):
        # PostgreSQL text cannot hold NUL; a provider's stray one must not fail the whole event.
        fields["content"] = fields["content"].replace("\x00", "")
    fields.setdefault("payload", {})
    now = utcnow()
    fields.setdefault("created_at", now)
    fields.setdefault("timestamp", now)
    # RETURNING hands back the new row in the same round trip (PostgreSQL, SQLite >= 3.35).
    names = tuple(sorted(fields))
    insert = prepared(("message.insert", names), lambda S: (
        Message.insert({Message._meta.fields[n]: S(i) for i, n in enumerate(names)})
        .on_conflict_ignore().returning(Message)))
    meta = Message._meta.fields
    row = insert.first(*(meta[n].db_value(fields[n]) for n in names))
    if row is not None:
        return row, True
    if fields.get("provider_message_id") and fields.get("channel"):
        row = Message.get((Message.channel == fields["channel"])
                          & (Message.provider_message_id == fields["provider_message_id"]))
    elif fields.get("client_message_id"):
        row = Message.get((Message.conversation == fields["conversation"])
                          & (Message.client_message_id == fields["client_message_id"]))
    else:
        row = Message.get_by_id(fields["id"])
    return row, row.id == fields["id"]


def touch_conversation(conversation_id: str, message: Message) -> Optional[Conversation]:
    """Keep the list fields of a conversation current after a new message; the updated row.

    One UPDATE ... RETURNING (it was up to three UPDATEs and a re-read): each column moves
    only forward in provider time, decided per row by CASE, so a late job (an older message)
    bumps the unread count but replaces neither the preview nor the customer's last time.
    """
    preview = (message.content or f"[{message.message_type}]")[:PREVIEW_LENGTH]
    customer = message.direction == "in" and message.sender_type == "customer"

    def build(S: Any) -> peewee.Query:  # S(0) the message time, S(1) preview, S(2) now, S(3) id
        newer = (Conversation.last_message_at.is_null()) | (Conversation.last_message_at <= S(0))
        updates: dict[Any, Any] = {
            Conversation.last_message_at: peewee.Case(None, [(newer, S(0))],
                                                      Conversation.last_message_at),
            Conversation.last_message_preview: peewee.Case(None, [(newer, S(1))],
                                                           Conversation.last_message_preview),
            Conversation.updated_at: S(2),
        }
        if customer:
            later = ((Conversation.last_customer_message_at.is_null())
                     | (Conversation.last_customer_message_at < S(0)))
            updates[Conversation.last_customer_message_at] = peewee.Case(
                None, [(later, S(0))], Conversation.last_customer_message_at)
            updates[Conversation.unread_count] = Conversation.unread_count + 1
        return (Conversation.update(updates).where(Conversation.id == S(3))
                .returning(Conversation))

    return prepared(("conversation.touch", customer), build).first(
        Conversation.last_message_at.db_value(message.timestamp), preview, utcnow(),
        conversation_id)


def waiting_for(channel_id: str, provider_message_id: str) -> tuple[bool, bool, bool]:
    """(pending statuses, parked events, replies without their target) for a new message.

    One SELECT of three EXISTS: nearly always all false, and then the DELETE of pending
    statuses, the SELECT of parked events and the reply back-fill UPDATE are all skipped. Call
    it after `lock_provider_id` for the message (a statement of its own, before this one): a
    status or event parked by another transaction is then either committed before this read
    or parked by a transaction that waited for ours and found the message.
    """
    def build(S: Any) -> peewee.Query:
        statuses_q = PendingStatus.select(peewee.SQL("1")).where(
            (PendingStatus.channel == S(0)) & (PendingStatus.provider_message_id == S(1)))
        events_q = PendingEvent.select(peewee.SQL("1")).where(
            (PendingEvent.channel == S(0)) & (PendingEvent.provider_message_id == S(1)))
        reply = Message.alias()
        replies_q = reply.select(peewee.SQL("1")).where(
            (reply.channel == S(0)) & (reply.reply_to_provider_id == S(1))
            & reply.reply_to.is_null())
        return peewee.Select(columns=[peewee.fn.EXISTS(q) for q in
                                      (statuses_q, events_q, replies_q)]).tuples()

    row = prepared("message.waiting_for", build).first(channel_id, provider_message_id)
    return bool(row[0]), bool(row[1]), bool(row[2])


def lock_provider_id(channel_id: str, provider_message_id: str) -> bool:
    """Hold the lock of (channel, provider message id) until the transaction ends; True if
    taken (PostgreSQL), False on SQLite, whose write transactions run one at a time anyway.

    It keeps "park it, the message is not stored" and "store the message, then apply what was
    parked" apart. Under READ COMMITTED both could otherwise miss the other's uncommitted row
    (the parker does not see the message, the inserter's check does not see the park) and the
    parked status or event would wait forever. The inserter takes the lock after storing the
    message (or its provider id) and before its check; the parker takes it after its lookup
    missed and looks again. Each must be a statement of its own: a statement's snapshot
    predates a wait inside it. Whoever comes second waits for the other's commit, then sees
    the message (parker) or the park (inserter).
    """
    if not is_postgres():
        return False
    digest = hashlib.sha256(f"{channel_id}\x00{provider_message_id}".encode()).digest()
    db.execute_sql("SELECT pg_advisory_xact_lock(%s)",
                   (int.from_bytes(digest[:8], "big", signed=True),))
    return True


def find_message(channel_id: str, provider_message_id: str, *, for_update: bool = False
                 ) -> Optional[Message]:
    """The message with this provider id on this channel, row-locked if `for_update`
    (PostgreSQL). The id may be a later part of a message we sent as several (`MessagePart`):
    looked up only when no message has it as its own id, a rare miss."""
    part = MessagePart.select(MessagePart.message).where(
        (MessagePart.channel == channel_id)
        & (MessagePart.provider_message_id == provider_message_id))
    for where in ((Message.channel == channel_id)
                  & (Message.provider_message_id == provider_message_id),
                  Message.id.in_(part)):
        query = Message.select().where(where)
        found = (query.for_update() if for_update and is_postgres() else query).first()
        if found is not None:
            return found
    return None


def record_parts(message: Message, provider_message_ids: list[str]) -> None:
    """Make every part after the first findable by its id, and apply statuses parked for them.

    A message can go out as several provider messages (media with a caption the provider
    takes separately, text over its length limit); only the first id is the message's own.
    Call it in the transaction that records the ids.
    """
    later = sorted(set(provider_message_ids[1:]) - {provider_message_ids[0]})
    if not later or not message.channel_id:
        return
    MessagePart.insert_many(
        [{"id": new_id(), "channel": message.channel_id, "provider_message_id": part,
          "message": message.id} for part in later]).on_conflict_ignore().execute()
    for part in later:  # sorted: two recorders never wait for each other in a cycle
        lock_provider_id(message.channel_id, part)
    apply_pending_statuses(message, later)


def find_or_lock(channel_id: str, provider_message_id: str, *, for_update: bool = False
                 ) -> Optional[Message]:
    """The message, or None when it must be parked: a first lookup, and only if it misses,
    the provider id's lock and a second lookup (call inside the transaction that parks).

    After the lock a transaction storing that message has either committed (found now) or
    will wait for ours before it looks for parked rows (and finds ours).
    """
    message = find_message(channel_id, provider_message_id, for_update=for_update)
    if message is None and lock_provider_id(channel_id, provider_message_id):
        message = find_message(channel_id, provider_message_id, for_update=for_update)
    return message


def apply_status(channel_id: str, provider_message_id: str, status: str, timestamp: datetime,
                 error_code: Optional[str] = None, error_reason: Optional[str] = None) -> Optional[Message]:
    """Advance an outgoing message's status; park it if the message is not stored yet.

    The conditional UPDATE only matches rows whose status ranks lower, so two workers applying
    statuses in any order end on the highest one.
    """
    # The lock must last until the park commits: its own transaction when there is none.
    with (nullcontext() if db.in_transaction() else transaction()):
        message = find_or_lock(channel_id, provider_message_id)
        if message is None:
            PendingStatus.insert(id=new_id(), channel=channel_id,
                                 provider_message_id=provider_message_id, status=status,
                                 timestamp=timestamp, error_code=error_code,
                                 error_reason=error_reason, created_at=utcnow()
                                 ).on_conflict_ignore().execute()
            return None
        return advance_status(message, status, timestamp, error_code, error_reason)


def advance_status(message: Message, status: str, timestamp: Optional[datetime] = None,
                   error_code: Optional[str] = None, error_reason: Optional[str] = None,
                   attachments: Optional[list[Attachment]] = None,
                   **also: Any) -> Optional[Message]:
    """Move `message` to `status` if that is forward; returns the updated row or None.

    `also` are more columns written by the same UPDATE (only if the status moves);
    `attachments` the message's, when the caller has them (spares a query for the event).
    """
    if status not in statuses.RANK:
        return None
    timestamp = timestamp or utcnow()
    changes: dict[str, Any] = {**also, "status": status}
    if status == "failed":
        changes.update(error_code=error_code, error_reason=error_reason)
    elif status in ("delivered", "read", "sent"):
        changes.update(error_code=None, error_reason=None)
    column = {"sent": "sent_at", "delivered": "delivered_at", "read": "read_at"}.get(status)
    if column:
        changes[column] = timestamp
    if status == "read":
        changes.setdefault("delivered_at", timestamp)
    # The conditional UPDATE hands back the row it wrote (RETURNING): no second read.
    rows = list(Message.update(**changes)
                .where((Message.id == message.id)
                       & (Message.status.in_(statuses.lower_than(status))))
                .returning(Message).execute())
    if not rows:
        return None
    row = rows[0]
    publish_after_commit(row.company_id, "message.updated", message_dict(row, attachments),
                         conversation_id=row.conversation_id)
    return row


def apply_pending_statuses(message: Message, provider_message_ids: Optional[list[str]] = None
                           ) -> None:
    """Apply statuses that arrived before this message (then forget them): those parked for
    its provider id, or for `provider_message_ids` (its later parts).

    One DELETE ... RETURNING takes them; the transaction keeps them if applying fails. Call it
    after `lock_provider_id` for those ids, in the transaction that stored them.
    """
    ids = provider_message_ids or ([message.provider_message_id]
                                   if message.provider_message_id else [])
    if not message.channel_id or not ids:
        return
    # Its own transaction only when there is none around it (a savepoint costs round trips).
    with (nullcontext() if db.in_transaction() else transaction()):
        pending = list(PendingStatus.delete().where(
            (PendingStatus.channel == message.channel_id)
            & (PendingStatus.provider_message_id.in_(ids)))
            .returning(PendingStatus).execute())
        for row in sorted(pending, key=lambda p: statuses.RANK.get(p.status, 0)):
            advance_status(message, row.status, row.timestamp, row.error_code, row.error_reason)


def thread(conversation_id: str, *, before: Optional[str] = None,
           limit: int = 50) -> tuple[list[Message], bool]:
    """The newest `limit` messages before the message `before`, oldest first; (rows, has_more).

    Ordered by provider timestamp, then id: the order customers wrote in, whatever order the
    jobs ran in.
    """
    query = Message.select().where(Message.conversation == conversation_id)
    if before:
        pivot = Message.get_or_none((Message.id == before)
                                    & (Message.conversation == conversation_id))
        if pivot is not None:
            query = query.where((Message.timestamp < pivot.timestamp)
                                | ((Message.timestamp == pivot.timestamp)
                                   & (Message.id < pivot.id)))
    rows = list(query.order_by(Message.timestamp.desc(), Message.id.desc()).limit(limit + 1))
    has_more = len(rows) > limit
    rows = rows[:limit]
    rows.reverse()
    return rows, has_more


def attachments_by_message(messages: Iterable[Message]) -> dict[str, list[Attachment]]:
    """Attachments of many messages in one query."""
    ids = [m.id for m in messages]
    grouped: dict[str, list[Attachment]] = {i: [] for i in ids}
    if ids:
        for a in Attachment.select().where(Attachment.message.in_(ids)).order_by(Attachment.id):
            grouped[a.message_id].append(a)
    return grouped


def mark_seen_by_agent(conversation: Conversation, message_ids: Optional[list[str]] = None,
                       *, notify_provider: bool = True) -> int:
    """Mark incoming messages read by the agent side; recompute the unread count.

    `notify_provider=False` keeps the read to the hub (the reader's privacy.readReceipts off).
    """
    seen_query = (Message.select(Message.id)
                  .where((Message.conversation == conversation.id) & (Message.direction == "in")
                         & (Message.seen_by_agent_at.is_null())))
    if message_ids is not None:
        seen_query = seen_query.where(Message.id.in_(message_ids))
    newly_seen = [m.id for m in seen_query]
    query = (Message.update(seen_by_agent_at=utcnow())
             .where((Message.conversation == conversation.id) & (Message.direction == "in")
                    & (Message.seen_by_agent_at.is_null())))
    if message_ids is not None:
        query = query.where(Message.id.in_(message_ids))
    changed = query.execute()
    unread = (Message.select(peewee.fn.COUNT(Message.id))
              .where((Message.conversation == conversation.id) & (Message.direction == "in")
                     & (Message.sender_type == "customer")
                     & (Message.seen_by_agent_at.is_null())).scalar())
    Conversation.update(unread_count=unread).where(Conversation.id == conversation.id).execute()
    if newly_seen and conversation.channel_id and notify_provider:
        # Tell the provider too (WhatsApp blue ticks); the job skips kinds that cannot.
        enqueue_after_commit("mark_read_on_provider", newly_seen)
    return changed
