"""Archive files: gzip'd JSON lines per company and month, written durably and verified."""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable, Optional

import peewee

from hub.models import Attachment, Message, MessagePart


class ArchiveError(Exception):
    """An archive file is missing, unreadable or does not match what was archived."""


def month_dir(root: Path, company_id: str, month: str) -> Path:
    return root / company_id / month


def part_path(root: Path, company_id: str, month: str, n: int) -> Path:
    return month_dir(root, company_id, month) / f"messages-{n}.jsonl.gz"


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (datetime, date)) else value


def serialize(row: dict[str, Any], attachments: list[dict[str, Any]],
              attachments_dir: Path, parts: Iterable[dict[str, Any]] = ()) -> dict[str, Any]:
    """One archive record: the message's columns, its attachments with their file bytes, and
    the provider ids of its later parts (a message we sent as several provider messages)."""
    files = []
    for a in attachments:
        item = {k: _plain(v) for k, v in a.items()}
        path = attachments_dir / a["storage_path"] if a.get("storage_path") else None
        item["data"] = (base64.b64encode(path.read_bytes()).decode()
                        if path is not None and path.is_file() else None)
        files.append(item)
    record = {"message": {k: _plain(v) for k, v in row.items()}, "attachments": files}
    parts = [{k: _plain(v) for k, v in part.items()} for part in parts]
    if parts:  # absent otherwise: parts written before this key existed read the same
        record["parts"] = parts
    return record


def _revive(model: type[peewee.Model], values: dict[str, Any]) -> dict[str, Any]:
    """Column values back into Python types (datetimes) for an insert."""
    out = {}
    for name, value in values.items():
        field = model._meta.fields.get(name)
        if field is None:
            continue
        if isinstance(field, peewee.DateTimeField) and isinstance(value, str):
            value = datetime.fromisoformat(value)
        elif isinstance(field, peewee.DateField) and isinstance(value, str):
            value = date.fromisoformat(value)
        out[name] = value
    return out


def revive_message(record: dict[str, Any]) -> dict[str, Any]:
    return _revive(Message, record["message"])


def revive_attachment(item: dict[str, Any]) -> dict[str, Any]:
    return _revive(Attachment, {k: v for k, v in item.items() if k != "data"})


def revive_parts(record: dict[str, Any]) -> list[dict[str, Any]]:
    return [_revive(MessagePart, part) for part in record.get("parts", ())]


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_bytes_durably(path: Path, data: bytes) -> None:
    """Write via a temporary file, fsync it, rename it into place and fsync the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def encode(records: Iterable[dict[str, Any]]) -> bytes:
    lines = "".join(json.dumps(r, separators=(",", ":"), sort_keys=True) + "\n" for r in records)
    # mtime=0: the same records always give the same bytes, hence the same sha256.
    return gzip.compress(lines.encode(), compresslevel=6, mtime=0)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_part(path: Path, sha256: Optional[str] = None) -> list[dict[str, Any]]:
    """The records of a part, after checking its sha256 when one is given."""
    if not path.is_file():
        raise ArchiveError(f"archive part missing: {path}")
    if sha256 is not None and sha256_of(path) != sha256:
        raise ArchiveError(f"archive part does not match its sha256: {path}")
    try:
        with gzip.open(path, "rt") as fh:
            return [json.loads(line) for line in fh if line.strip()]
    except (OSError, EOFError, ValueError) as exc:
        raise ArchiveError(f"archive part unreadable: {path}: {exc}") from exc


def verify_part(path: Path, sha256: str, message_ids: list[str]) -> None:
    """Re-read a written part: same sha256, same messages; raise ArchiveError otherwise."""
    records = read_part(path, sha256)
    found = [r["message"]["id"] for r in records]
    if len(found) != len(message_ids) or set(found) != set(message_ids):
        raise ArchiveError(f"archive part holds {len(found)} messages, expected "
                           f"{len(message_ids)}: {path}")


def write_manifest(root: Path, company_id: str, month: str, parts: list[dict[str, Any]]) -> Path:
    """The month's manifest.json: every part with its sha256 and counts."""
    path = month_dir(root, company_id, month) / "manifest.json"
    body = {"company": company_id, "month": month, "format": "jsonl.gz/v1", "parts": parts,
            "messages": sum(p["messages"] for p in parts),
            "attachments": sum(p["attachments"] for p in parts)}
    write_bytes_durably(path, json.dumps(body, indent=2, sort_keys=True).encode())
    return path
