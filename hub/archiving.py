"""Archiving: idle closed conversations become `archived`; old messages move to archive files.

Retention order for each batch: write the part, fsync, re-read and verify it (sha256 and the
exact message ids), commit its ArchiveManifest row, and only then delete the hot rows. A crash
after the manifest commit is finished by the next run, which deletes the rows the verified part
already holds before archiving anything else, so nothing is archived twice.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Optional

from hub.archive_files import (ArchiveError, encode, part_path, read_part, revive_attachment,
                               revive_message, revive_parts, serialize, sha256_of, verify_part,
                               write_bytes_durably, write_manifest)
from hub.companies import company_settings
from hub.db import transaction
from hub.models import (ArchiveManifest, Attachment, Company, Conversation, Message,
                        MessagePart, utcnow)
from hub.realtime import publish_after_commit
from hub.settings import get_settings

# Messages per archive part (one file); bounds memory and the size of one delete.
PART_SIZE = 5000
# Ids per IN (...) list, under SQLite's variable limit.
ID_CHUNK = 500

Progress = Optional[Callable[[int], Any]]


def archive_idle(now: Optional[datetime] = None) -> int:
    """Closed conversations idle longer than their company's archiveAfterDays become archived."""
    now = now or utcnow()
    archived = 0
    for company in Company.select():
        days = company_settings(company).get("archiveAfterDays")
        if not days:
            continue
        cutoff = now - timedelta(days=int(days))
        idle = (Conversation.select().where(
            Conversation.company == company, Conversation.status == "closed",
            Conversation.updated_at < cutoff,
            (Conversation.last_message_at.is_null()) | (Conversation.last_message_at < cutoff)))
        for conv in idle:
            with transaction():
                # The status guard makes a reopen that raced this job win.
                changed = (Conversation.update(status="archived", archived_at=now, updated_at=now)
                           .where(Conversation.id == conv.id, Conversation.status == "closed")
                           .execute())
                if changed:
                    publish_after_commit(company.id, "conversation.updated",
                                         {"id": conv.id, "status": "archived"},
                                         conversation_id=conv.id)
            archived += changed
    return archived


def _month_bounds(month: str) -> tuple[datetime, datetime]:
    start = datetime.strptime(month, "%Y-%m")
    nxt = (start + timedelta(days=32)).replace(day=1)
    return start, nxt


def _months_before(company_id: str, cutoff: datetime) -> list[str]:
    oldest = (Message.select(Message.timestamp).where(Message.company == company_id,
                                                      Message.timestamp < cutoff)
              .order_by(Message.timestamp).first())
    months, cursor = [], oldest.timestamp.replace(day=1) if oldest else None
    while cursor is not None and cursor < cutoff:
        months.append(cursor.strftime("%Y-%m"))
        cursor = (cursor + timedelta(days=32)).replace(day=1, hour=0, minute=0, second=0,
                                                       microsecond=0)
    return months


def _delete_hot(ids: list[str]) -> int:
    """Delete archived messages (attachments cascade), then their files once committed."""
    settings = get_settings()
    paths: list[Path] = []
    deleted = 0
    with transaction():
        for i in range(0, len(ids), ID_CHUNK):
            chunk = ids[i:i + ID_CHUNK]
            for a in Attachment.select(Attachment.storage_path, Attachment.thumbnail_path).where(
                    Attachment.message.in_(chunk)):
                paths += [settings.attachments_dir / p for p in (a.storage_path, a.thumbnail_path) if p]
            deleted += Message.delete().where(Message.id.in_(chunk)).execute()
    for path in paths:
        path.unlink(missing_ok=True)
    return deleted


def _finish_pending(company_id: str, month: str) -> int:
    """Delete hot rows that a committed, verified part already holds (a crash left them)."""
    deleted = 0
    for manifest in ArchiveManifest.select().where(ArchiveManifest.company == company_id,
                                                   ArchiveManifest.month == month):
        ids = [r["message"]["id"] for r in read_part(Path(manifest.path), manifest.sha256)]
        present = [i for k in range(0, len(ids), ID_CHUNK) for (i,) in
                   Message.select(Message.id).where(Message.id.in_(ids[k:k + ID_CHUNK])).tuples()]
        if present:
            deleted += _delete_hot(present)
    return deleted


def _manifest_parts(company_id: str, month: str) -> list[dict[str, Any]]:
    return [{"file": Path(m.path).name, "sha256": m.sha256, "messages": m.message_count,
             "attachments": m.attachment_count, "createdAt": m.created_at.isoformat()}
            for m in ArchiveManifest.select().where(ArchiveManifest.company == company_id,
                                                    ArchiveManifest.month == month)
            .order_by(ArchiveManifest.created_at)]


def rewrite_manifest(company_id: str, month: str) -> Path:
    """Write the month's manifest.json from its ArchiveManifest rows."""
    return write_manifest(get_settings().archive_dir, company_id, month,
                          _manifest_parts(company_id, month))


def archive_month(company_id: str, month: str, cutoff: datetime, progress: Progress = None) -> int:
    """Move the month's messages older than `cutoff` into verified parts; returns messages moved."""
    settings = get_settings()
    start, end = _month_bounds(month)
    end = min(end, cutoff)
    moved = _finish_pending(company_id, month)
    while True:
        batch = list(Message.select().where(Message.company == company_id,
                                            Message.timestamp >= start, Message.timestamp < end)
                     .order_by(Message.timestamp, Message.id).limit(PART_SIZE).dicts())
        if not batch:
            break
        ids = [m["id"] for m in batch]
        files: dict[str, list[dict[str, Any]]] = {}
        parts: dict[str, list[dict[str, Any]]] = {}
        for k in range(0, len(ids), ID_CHUNK):
            for a in Attachment.select().where(Attachment.message.in_(ids[k:k + ID_CHUNK])).dicts():
                files.setdefault(a["message"], []).append(a)
            # Deleted with the message (cascade): kept in the record, or a restored message
            # would no longer be found by the provider ids of its later parts.
            for part in MessagePart.select().where(
                    MessagePart.message.in_(ids[k:k + ID_CHUNK])).dicts():
                parts.setdefault(part["message"], []).append(part)
        records = [serialize(m, files.get(m["id"], []), settings.attachments_dir,
                             parts.get(m["id"], ())) for m in batch]
        n = ArchiveManifest.select().where(ArchiveManifest.company == company_id,
                                           ArchiveManifest.month == month).count() + 1
        path = part_path(settings.archive_dir, company_id, month, n)
        data = encode(records)
        write_bytes_durably(path, data)
        sha = sha256_of(path)
        verify_part(path, sha, ids)  # raises: nothing below runs, nothing is deleted
        with transaction():
            ArchiveManifest.create(company=company_id, month=month, path=str(path), sha256=sha,
                                   message_count=len(ids),
                                   attachment_count=sum(len(v) for v in files.values()))
        rewrite_manifest(company_id, month)
        moved += _delete_hot(ids)
        if progress:
            progress(len(ids))
    return moved


def run_retention(company_id: Optional[str] = None, now: Optional[datetime] = None,
                  progress: Progress = None) -> dict[str, int]:
    """Apply every company's retentionDays (or one company's); returns messages moved per company."""
    now = now or utcnow()
    query = Company.select()
    if company_id:
        query = query.where(Company.id == company_id)
    summary: dict[str, int] = {}
    for company in query:
        days = company_settings(company).get("retentionDays")
        if not days:
            continue
        cutoff = now - timedelta(days=int(days))
        restored = {m.month for m in ArchiveManifest.select(ArchiveManifest.month).where(
            ArchiveManifest.company == company, ArchiveManifest.restored_at.is_null(False))}
        for month in _months_before(company.id, cutoff):
            if month in restored:
                continue  # an operator brought it back on purpose; leave it in the hot tables
            summary[company.id] = summary.get(company.id, 0) + archive_month(
                company.id, month, cutoff, progress)
    return summary


def restore_month(company_id: str, month: str, progress: Progress = None) -> dict[str, int]:
    """Bring an archived month back; restoring twice inserts nothing new."""
    settings = get_settings()
    manifests = list(ArchiveManifest.select().where(ArchiveManifest.company == company_id,
                                                    ArchiveManifest.month == month)
                     .order_by(ArchiveManifest.created_at))
    if not manifests:
        raise ArchiveError(f"no archive for company {company_id} month {month}")
    counts = {"messages": 0, "attachments": 0, "skipped": 0}
    for manifest in manifests:
        records = read_part(Path(manifest.path), manifest.sha256)
        conversations = {c for (c,) in Conversation.select(Conversation.id).where(
            Conversation.id.in_({r["message"]["conversation"] for r in records})).tuples()}
        ids = [r["message"]["id"] for r in records]
        present = {i for k in range(0, len(ids), ID_CHUNK) for (i,) in Message.select(
            Message.id).where(Message.id.in_(ids[k:k + ID_CHUNK])).tuples()}
        with transaction():
            for record in records:
                row = revive_message(record)
                if row["conversation"] not in conversations:
                    counts["skipped"] += 1  # its conversation was deleted since
                    continue
                if row.get("reply_to") and not Message.select().where(
                        Message.id == row["reply_to"]).exists():
                    row["reply_to"] = None
                Message.insert(row).on_conflict_ignore().execute()
                counts["messages"] += row["id"] not in present
                for item in record["attachments"]:
                    _restore_file(settings.attachments_dir, item)
                    Attachment.insert(revive_attachment(item)).on_conflict_ignore().execute()
                    counts["attachments"] += row["id"] not in present
                for part in revive_parts(record):
                    MessagePart.insert(part).on_conflict_ignore().execute()
            manifest.restored_at = utcnow()
            manifest.save()
        if progress:
            progress(len(records))
    return counts


def _restore_file(root: Path, item: dict[str, Any]) -> None:
    import base64

    if item.get("data") and item.get("storage_path"):
        target = root / item["storage_path"]
        if not target.exists():
            write_bytes_durably(target, base64.b64decode(item["data"]))


from hub.erasure import erase_contact  # noqa: E402,F401  (public API of archiving and retention)
