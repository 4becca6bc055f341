"""Telegram Bot API: send methods, getFile and file download, webhook methods, getUpdates,
getChat."""
from __future__ import annotations

import json
import re
import time
from typing import Any, Callable

from flask import Blueprint, Response, jsonify, request

from connectors.emulators import telegram_objects as objects
from connectors.emulators.common import get_state, install_hooks
from connectors.emulators.faults import telegram_error
from connectors.emulators.telegram_objects import BotApiError

bp = Blueprint("emulator_telegram", __name__)
install_hooks(bp, "telegram")

# Fields that arrive as JSON strings when a call is form-encoded or multipart.
JSON_FIELDS = ("reply_parameters", "reply_markup", "allowed_updates", "entities")
# What a bot token looks like: "<bot id>:<secret>".
TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
# Bot API limits, counted in UTF-16 code units as Telegram counts them.
MAX_TEXT, MAX_CAPTION = 4096, 1024
# The Bot API refuses getFile for files larger than this.
MAX_DOWNLOAD = 20 * 1024 * 1024


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _params() -> dict[str, Any]:
    """Parameters from the query string, a form, multipart or JSON, as the Bot API allows."""
    if request.is_json:
        params = dict(request.get_json(silent=True) or {})
    else:
        params = dict(request.args.items())
        params.update(request.form.items())
    for name in JSON_FIELDS:
        if isinstance(params.get(name), str):
            try:
                params[name] = json.loads(params[name])
            except ValueError:
                raise BotApiError(400, f"Bad Request: can't parse {name} JSON object")
    return params


def _ok(result: Any, description: str | None = None) -> Response:
    body: dict[str, Any] = {"ok": True, "result": result}
    if description:
        body["description"] = description
    return jsonify(body)


def _send_text(token: str, p: dict[str, Any]) -> Any:
    text = p.get("text") or ""
    if not text.strip():
        raise BotApiError(400, "Bad Request: message text is empty")
    if utf16_len(text) > MAX_TEXT:
        raise BotApiError(400, "Bad Request: message is too long")
    return _deliver(token, p, {"text": text})


def _sender(field: str) -> Callable[[str, dict[str, Any]], Any]:
    """A send method for one media field: sendPhoto's photo, sendVoice's voice, ..."""

    def send(token: str, p: dict[str, Any]) -> Any:
        caption = p.get("caption") or ""
        if utf16_len(caption) > MAX_CAPTION:
            raise BotApiError(400, "Bad Request: message caption is too long")
        stored = objects.resolve_input_file(get_state(), field, p.get(field),
                                            request.files.get(field))
        if stored is None:
            raise BotApiError(400, f"Bad Request: there is no {field} in the request")
        content = {field: objects.media_object(field, stored)}
        if caption:
            content["caption"] = caption
        return _deliver(token, p, content)

    return send


def _deliver(token: str, p: dict[str, Any], content: dict[str, Any]) -> dict[str, Any]:
    """Give the message its per-chat id, record the delivery and build the Message object."""
    state = get_state()
    chat = objects.chat_for(p.get("chat_id"))
    if chat is None:
        raise BotApiError(400, "Bad Request: chat not found")
    message_id = state.next_telegram_message_id(token, str(chat["id"]))
    message = {"message_id": message_id, "from": objects.bot_user(token), "chat": chat,
               "date": int(time.time()), **content}
    reply = p.get("reply_parameters") or {}
    reply_id = reply.get("message_id") if isinstance(reply, dict) else None
    reply_id = reply_id or p.get("reply_to_message_id")
    if reply_id:
        message["reply_to_message"] = {"message_id": int(reply_id), "chat": chat,
                                       "date": int(time.time())}
    recorded = {k: v for k, v in p.items()}
    for name, f in request.files.items():
        recorded[name] = {"filename": f.filename}
    state.deliver("telegram", str(chat["id"]), f"{chat['id']}:{message_id}", recorded)
    return message


def _get_file(token: str, p: dict[str, Any]) -> Any:
    stored = get_state().get_media(str(p.get("file_id") or ""))
    if stored is None:
        raise BotApiError(400, "Bad Request: invalid file_id")
    if len(stored.content) > MAX_DOWNLOAD:
        raise BotApiError(400, "Bad Request: file is too big")
    return objects.file_object(stored)


def _set_webhook(token: str, p: dict[str, Any]) -> Any:
    secret = p.get("secret_token")
    if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
        raise BotApiError(400, "Bad Request: secret token contains unallowed characters")
    bot = get_state().bot(token)
    if not p.get("url"):
        bot.webhook = {}
        return _ok(True, "Webhook was deleted")
    bot.webhook = {"url": p["url"], "secret_token": secret,
                   "allowed_updates": p.get("allowed_updates"),
                   "max_connections": int(p.get("max_connections") or 40)}
    if str(p.get("drop_pending_updates")).lower() == "true":
        bot.updates.clear()
    return _ok(True, "Webhook was set")


def _delete_webhook(token: str, p: dict[str, Any]) -> Any:
    bot = get_state().bot(token)
    was_set = bool(bot.webhook)
    bot.webhook = {}
    if str(p.get("drop_pending_updates")).lower() == "true":
        bot.updates.clear()
    return _ok(True, "Webhook was deleted" if was_set else "Webhook is already deleted")


def _webhook_info(token: str, p: dict[str, Any]) -> Any:
    bot = get_state().bot(token)
    info: dict[str, Any] = {"url": bot.webhook.get("url", ""), "has_custom_certificate": False,
                            "pending_update_count": len(bot.updates)}
    if bot.webhook:
        info["max_connections"] = bot.webhook["max_connections"]
        if bot.webhook.get("allowed_updates"):
            info["allowed_updates"] = bot.webhook["allowed_updates"]
    return info


def _get_updates(token: str, p: dict[str, Any]) -> Any:
    state = get_state()
    bot = state.bot(token)
    if bot.webhook:
        raise BotApiError(409, "Conflict: can't use getUpdates method while webhook is "
                               "active; use deleteWebhook to delete the webhook first")
    offset, limit = int(p.get("offset") or 0), int(p.get("limit") or 100)
    allowed = p.get("allowed_updates")
    with state.lock:
        # Asking for offset N confirms every update before N: Telegram forgets them.
        bot.updates[:] = [u for u in bot.updates if u["update_id"] >= offset]
        pending = [u for u in bot.updates if not allowed or any(k in u for k in allowed)]
    return pending[:limit]


def _get_chat(token: str, p: dict[str, Any]) -> Any:
    """A seeded Chat object, else the generic one the chat id implies."""
    chat = get_state().telegram_chat(p.get("chat_id")) or objects.chat_for(p.get("chat_id"))
    if chat is None:
        raise BotApiError(400, "Bad Request: chat not found")
    return chat


def _answer_callback(token: str, p: dict[str, Any]) -> Any:
    if not p.get("callback_query_id"):
        raise BotApiError(400, "Bad Request: query is too old and response timeout expired "
                               "or query ID is invalid")
    return True


METHODS: dict[str, Callable[[str, dict[str, Any]], Any]] = {
    "getMe": lambda token, p: objects.bot_user(token, full=True),
    "sendMessage": _send_text,
    "sendPhoto": _sender("photo"), "sendDocument": _sender("document"),
    "sendVoice": _sender("voice"), "sendAudio": _sender("audio"),
    "sendVideo": _sender("video"), "sendSticker": _sender("sticker"),
    "getFile": _get_file, "setWebhook": _set_webhook, "deleteWebhook": _delete_webhook,
    "getWebhookInfo": _webhook_info, "getUpdates": _get_updates,
    "answerCallbackQuery": _answer_callback, "getChat": _get_chat,
}


def _token_refused(token: str) -> bool:
    return not TOKEN_RE.match(token) or not get_state().token_ok("telegram", token)


@bp.route("/bot<token>/<method>", methods=["GET", "POST"])
def bot_method(token: str, method: str) -> Any:
    """Dispatch one Bot API method call."""
    if _token_refused(token):
        return jsonify(telegram_error(401, "Unauthorized")), 401
    handler = METHODS.get(method)
    if handler is None:
        return jsonify(telegram_error(404, "Not Found")), 404
    try:
        result = handler(token, _params())
    except BotApiError as exc:
        return jsonify(telegram_error(exc.code, exc.description)), exc.code
    return result if isinstance(result, Response) else _ok(result)


@bp.get("/file/bot<token>/<path:file_path>")
def download_file(token: str, file_path: str) -> Any:
    """The bytes behind a getFile file_path."""
    if _token_refused(token):
        return jsonify(telegram_error(401, "Unauthorized")), 401
    stored = get_state().media_by_path(file_path)
    if stored is None:
        return jsonify(telegram_error(404, "Not Found")), 404
    return Response(stored.content, mimetype=stored.mime_type)
