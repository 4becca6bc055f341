"""What the emulator remembers: requests received, sends delivered, media, Telegram chats."""
from __future__ import annotations

import hashlib
import itertools
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Optional

from connectors.emulators.faults import FaultInjector

# Headers worth keeping in the record; the rest is noise for tests and too big for benchmarks.
RECORDED_HEADERS = ("Authorization", "Content-Type", "X-Request-Id", "Idempotency-Key")


@dataclass
class StoredMedia:
    """An uploaded or pre-seeded file, served back by id (Meta) or file_path (Telegram)."""

    media_id: str
    content: bytes
    mime_type: str
    filename: Optional[str] = None
    file_path: Optional[str] = None  # Telegram's path under /file/bot<token>/

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass
class TelegramState:
    """Per-bot state of the Telegram Bot API: webhook, queued updates, per-chat message ids."""

    webhook: dict[str, Any] = field(default_factory=dict)
    updates: list[dict[str, Any]] = field(default_factory=list)
    next_message_id: dict[str, int] = field(default_factory=dict)
    next_update_id: int = 800000001


class EmulatorState:
    """Thread-safe store shared by every route of one emulator app."""

    def __init__(self, seed: Optional[int] = None):
        self.lock = threading.RLock()
        self.faults = FaultInjector(seed)
        self.reset()

    def reset(self) -> None:
        """Forget everything, faults and configuration included."""
        with self.lock:
            self.received: list[dict[str, Any]] = []
            self._delivered: list[dict[str, Any]] = []
            self.media: dict[str, StoredMedia] = {}
            self.telegram: dict[str, TelegramState] = {}
            # None accepts any well-formed token; a set accepts only its members.
            self.tokens: dict[str, Optional[set[str]]] = {
                "whatsapp": None, "graph": None, "telegram": None}
            self.auto_status: Optional[dict[str, Any]] = None
            self.templates: Optional[list[dict[str, Any]]] = None  # None: the defaults
            # Chat objects getChat answers with, by chat id (others: a generic emulated chat).
            self.telegram_chats: dict[str, dict[str, Any]] = {}
            self._ids = itertools.count(1)
            # A per-run part keeps ids unique across emulator restarts against one hub database.
            self._run = secrets.randbelow(10**6)
            self.faults.clear()

    # -- ids -------------------------------------------------------------------------------
    def number(self) -> int:
        """A fresh positive integer, unique across runs with high probability."""
        with self.lock:
            return self._run * 10**9 + next(self._ids)

    def unique(self, prefix: str) -> str:
        """A fresh string id with `prefix`."""
        return f"{prefix}{self.number():015d}"

    # -- record ----------------------------------------------------------------------------
    def record(self, provider: str, method: str, path: str, body: Any,
               headers: dict[str, str]) -> dict[str, Any]:
        """Remember one received request and return the (mutable) record."""
        entry = {
            "provider": provider, "method": method, "path": path, "body": body,
            "headers": {k: v for k, v in headers.items() if k in RECORDED_HEADERS},
            "time": time.time(), "fault": None, "status": None,
        }
        with self.lock:
            self.received.append(entry)
        return entry

    def received_by(self, provider: Optional[str] = None) -> list[dict[str, Any]]:
        """A copy of the received requests, optionally of one provider."""
        with self.lock:
            return [dict(r) for r in self.received if provider in (None, r["provider"])]

    def deliver(self, provider: str, recipient: str, message_id: str, body: Any) -> None:
        """Note a send the provider accepted; content_key spots the same body sent twice."""
        canonical = json.dumps(body, sort_keys=True, default=str)
        entry = {
            "provider": provider, "recipient": str(recipient), "message_id": message_id,
            "body": body, "content_key": hashlib.sha256(canonical.encode()).hexdigest(),
            "time": time.time(),
        }
        with self.lock:
            self._delivered.append(entry)

    def delivered(self, provider: Optional[str] = None) -> list[dict[str, Any]]:
        """Successfully accepted sends, in order of acceptance."""
        with self.lock:
            return [dict(d) for d in self._delivered if provider in (None, d["provider"])]

    def duplicates(self, provider: Optional[str] = None) -> int:
        """How many accepted sends repeat an earlier send's exact content."""
        keys = [d["content_key"] for d in self.delivered(provider)]
        return len(keys) - len(set(keys))

    def set_telegram_chat(self, chat: dict[str, Any]) -> dict[str, Any]:
        """Seed the Chat object getChat returns for chat["id"] (first_name, username ...)."""
        stored = {"type": "private", **chat, "id": int(chat["id"])}
        with self.lock:
            self.telegram_chats[str(stored["id"])] = stored
        return stored

    def telegram_chat(self, chat_id: Any) -> Optional[dict[str, Any]]:
        with self.lock:
            return self.telegram_chats.get(str(chat_id))

    # -- media -----------------------------------------------------------------------------
    def add_media(self, media_id: str, content: bytes, mime_type: str,
                  filename: Optional[str] = None, file_path: Optional[str] = None) -> StoredMedia:
        """Store a file that Meta media ids or Telegram file_ids can fetch."""
        item = StoredMedia(media_id, content, mime_type, filename, file_path)
        with self.lock:
            self.media[media_id] = item
        return item

    def get_media(self, media_id: str) -> Optional[StoredMedia]:
        with self.lock:
            return self.media.get(media_id)

    def media_by_path(self, file_path: str) -> Optional[StoredMedia]:
        with self.lock:
            return next((m for m in self.media.values() if m.file_path == file_path), None)

    # -- auth ------------------------------------------------------------------------------
    def set_tokens(self, provider: str, tokens: Optional[set[str]]) -> None:
        """Restrict a provider to these tokens (None: accept any well-formed token)."""
        with self.lock:
            self.tokens[provider] = set(tokens) if tokens is not None else None

    def token_ok(self, provider: str, token: Optional[str]) -> bool:
        with self.lock:
            allowed = self.tokens.get(provider)
        if not token:
            return False
        return allowed is None or token in allowed

    # -- telegram --------------------------------------------------------------------------
    def bot(self, token: str) -> TelegramState:
        """The state of one bot, created on first use."""
        with self.lock:
            return self.telegram.setdefault(token, TelegramState())

    def next_telegram_message_id(self, token: str, chat_id: str) -> int:
        """Telegram numbers messages per chat, so each chat counts on its own."""
        with self.lock:
            bot = self.bot(token)
            n = bot.next_message_id.get(chat_id, 1)
            bot.next_message_id[chat_id] = n + 1
            return n

    def queue_update(self, token: str, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates; an update_id is assigned when it has none."""
        with self.lock:
            bot = self.bot(token)
            if "update_id" not in update:
                update = {"update_id": bot.next_update_id, **update}
            bot.next_update_id = max(bot.next_update_id, int(update["update_id"]) + 1)
            bot.updates.append(update)
            return update

    # -- auto status -----------------------------------------------------------------------
    def post_status(self, hub_url: str, kind: str, channel_id: str, app_secret: str,
                    provider_message_id: str, status: str, recipient: str,
                    **extra: Any) -> int:
        """POST a signed provider status webhook to the hub; returns the HTTP status."""
        from connectors.emulators.status_webhooks import post_status
        return post_status(hub_url, kind, channel_id, app_secret, provider_message_id,
                           status, recipient, **extra)
