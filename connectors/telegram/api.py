"""Calls to the Telegram Bot API, with its errors classified as transient or permanent."""
from __future__ import annotations

import json
from typing import Any, Optional

import requests

from connectors.base import (HTTP_TIMEOUT, ChannelConfig, PermanentSendError, SendError,
                             TransientSendError)

DEFAULT_API_BASE = "https://api.telegram.org"
# Bots may download files up to this size through getFile; Telegram refuses bigger ones.
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
# Updates the hub subscribes to; everything else would only be stored and ignored.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]


def bot_url(channel: ChannelConfig, method: str) -> str:
    """{apiBase}/bot{token}/{method}."""
    return f"{channel.api_base(DEFAULT_API_BASE)}/bot{channel.credentials['botToken']}/{method}"


def file_url(channel: ChannelConfig, file_path: str) -> str:
    """{apiBase}/file/bot{token}/{file_path}: where getFile's path can be downloaded."""
    base = channel.api_base(DEFAULT_API_BASE)
    return f"{base}/file/bot{channel.credentials['botToken']}/{file_path}"


def timeout_of(channel: ChannelConfig) -> float:
    """Seconds to wait for Telegram; a channel setting lets tests and benchmarks shorten it."""
    return float(channel.settings.get("httpTimeout") or HTTP_TIMEOUT)


def classify(status: int, body: Any, retry_after_header: Optional[str] = None) -> SendError:
    """The SendError for a failed call: 429 and 5xx are transient, the rest permanent."""
    if isinstance(body, dict) and "error_code" in body:
        code = int(body["error_code"])
        reason = str(body.get("description") or "Telegram error")
        params = body.get("parameters") or {}
    else:
        code, reason, params = status, f"HTTP {status} from Telegram", {}
    retry_after = params.get("retry_after")
    if retry_after is None and retry_after_header and retry_after_header.isdigit():
        retry_after = int(retry_after_header)
    if params.get("migrate_to_chat_id"):
        # The group became a supergroup: the old chat id is dead, the new one is in the error.
        reason = f"{reason} (migrate_to_chat_id={params['migrate_to_chat_id']})"
    if code == 429 or code >= 500 or status >= 500:
        return TransientSendError(reason, code=str(code), http_status=status,
                                  retry_after=float(retry_after) if retry_after else None)
    return PermanentSendError(reason, code=str(code), http_status=status)


def call(channel: ChannelConfig, method: str, http: requests.Session, *,
         params: Optional[dict[str, Any]] = None,
         files: Optional[dict[str, Any]] = None) -> Any:
    """POST one Bot API method and return its `result`; raises a classified SendError."""
    params = {k: v for k, v in (params or {}).items() if v is not None}
    kwargs: dict[str, Any]
    if files:
        # Multipart: nested objects travel as JSON strings, as the Bot API expects.
        form = {k: json.dumps(v) if isinstance(v, (dict, list)) else str(v)
                for k, v in params.items()}
        kwargs = {"data": form, "files": files}
    else:
        kwargs = {"json": params}
    try:
        resp = http.post(bot_url(channel, method), timeout=timeout_of(channel), **kwargs)
    except requests.Timeout as exc:
        raise TransientSendError(f"timeout calling Telegram {method}: {exc}", code="timeout")
    except requests.ConnectionError as exc:
        raise TransientSendError(f"cannot reach Telegram: {exc}", code="connection_error")
    try:
        body = resp.json()
    except ValueError:
        body = None
    if resp.status_code == 200 and isinstance(body, dict) and body.get("ok"):
        return body.get("result")
    raise classify(resp.status_code, body, resp.headers.get("Retry-After"))


def set_webhook(channel: ChannelConfig, url: str, http: requests.Session) -> bool:
    """Point Telegram at the hub, with our secret token and the update kinds we handle."""
    return bool(call(channel, "setWebhook", http, params={
        "url": url, "secret_token": channel.secret_token, "allowed_updates": ALLOWED_UPDATES}))


def webhook_info(channel: ChannelConfig, http: requests.Session) -> dict[str, Any]:
    """getWebhookInfo's result: url, pending_update_count, last_error_message, ..."""
    return call(channel, "getWebhookInfo", http)


def delete_webhook(channel: ChannelConfig, http: requests.Session,
                   drop_pending_updates: bool = False) -> bool:
    """Remove the webhook (needed before polling with getUpdates)."""
    return bool(call(channel, "deleteWebhook", http,
                     params={"drop_pending_updates": drop_pending_updates}))


def get_updates(channel: ChannelConfig, http: requests.Session, offset: Optional[int] = None,
                timeout: int = 0) -> list[dict[str, Any]]:
    """Raw updates for polling mode; pass offset = last update_id + 1 to confirm earlier ones."""
    params = {"offset": offset, "timeout": timeout, "allowed_updates": ALLOWED_UPDATES}
    if timeout:
        # A long poll holds the request open for `timeout` seconds: wait a little longer.
        channel = ChannelConfig(channel.id, channel.kind, channel.credentials,
                                {**channel.settings, "httpTimeout": timeout_of(channel) + timeout},
                                channel.verify_token, channel.secret_token)
    return list(call(channel, "getUpdates", http, params=params) or [])


def answer_callback_query(channel: ChannelConfig, callback_query_id: str,
                          http: requests.Session, text: Optional[str] = None) -> bool:
    """Stop the spinner on the button the contact pressed."""
    return bool(call(channel, "answerCallbackQuery", http,
                     params={"callback_query_id": callback_query_id, "text": text}))


def download_file(channel: ChannelConfig, file_id: str,
                  http: requests.Session) -> tuple[bytes, str, Optional[str]]:
    """(content, file_path, Content-Type) of a file, via getFile then the file URL."""
    info = call(channel, "getFile", http, params={"file_id": file_id})
    if (info.get("file_size") or 0) > MAX_DOWNLOAD_BYTES or not info.get("file_path"):
        raise PermanentSendError("Bad Request: file is too big", code="400")
    try:
        resp = http.get(file_url(channel, info["file_path"]), timeout=timeout_of(channel),
                        stream=True)
    except requests.Timeout as exc:
        raise TransientSendError(f"timeout downloading Telegram file: {exc}", code="timeout")
    except requests.ConnectionError as exc:
        raise TransientSendError(f"cannot reach Telegram: {exc}", code="connection_error")
    if resp.status_code != 200:
        try:
            body = resp.json()
        except ValueError:
            body = None
        raise classify(resp.status_code, body, resp.headers.get("Retry-After"))
    content = resp.raw.read(MAX_DOWNLOAD_BYTES + 1, decode_content=True)
    if len(content) > MAX_DOWNLOAD_BYTES:
        raise PermanentSendError("Bad Request: file is too big", code="400")
    return content, info["file_path"], resp.headers.get("Content-Type")
