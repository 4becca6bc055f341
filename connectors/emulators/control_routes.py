"""The emulator's own control API under /_emulator/: records, reset, faults, config."""
from __future__ import annotations

import base64
from typing import Any

from flask import Blueprint, jsonify, request

from connectors.emulators.common import get_state

bp = Blueprint("emulator_control", __name__, url_prefix="/_emulator")


def _json() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


@bp.get("/received")
def received() -> Any:
    """Every request received, optionally of one provider (?provider=telegram)."""
    return jsonify(get_state().received_by(request.args.get("provider")))


@bp.get("/delivered")
def delivered() -> Any:
    """Sends the providers accepted, with the count of duplicated contents."""
    provider = request.args.get("provider")
    state = get_state()
    return jsonify({"delivered": state.delivered(provider),
                    "duplicates": state.duplicates(provider)})


@bp.post("/reset")
def reset() -> Any:
    get_state().reset()
    return jsonify({"ok": True})


@bp.post("/faults")
def faults() -> Any:
    """Install fault rules: {"faults": [rule, ...], "seed": 1, "append": false} or one rule."""
    body = _json()
    specs = body.get("faults", [body] if body.get("type") else [])
    try:
        get_state().faults.configure(specs, seed=body.get("seed"),
                                     replace=not body.get("append", False))
    except (ValueError, TypeError) as exc:
        return jsonify({"error": str(exc)}), 400
    return jsonify({"ok": True, "rules": len(get_state().faults.rules)})


@bp.post("/config")
def config() -> Any:
    """autoStatus {hubUrl, channelId, appSecret, delayMs} (null turns it off), tokens, templates."""
    body, state = _json(), get_state()
    if "autoStatus" in body:
        auto = body["autoStatus"]
        if auto is not None and not {"hubUrl", "channelId", "appSecret"} <= set(auto):
            return jsonify({"error": "autoStatus needs hubUrl, channelId and appSecret"}), 400
        state.auto_status = auto
    for provider, tokens in (body.get("tokens") or {}).items():
        state.set_tokens(provider, set(tokens) if tokens is not None else None)
    if "templates" in body:
        state.templates = body["templates"]
    return jsonify({"ok": True})


@bp.post("/media")
def add_media() -> Any:
    """Seed a file: {"id", "contentBase64", "mimeType", "filename", "filePath"}."""
    body = _json()
    if not body.get("id") or "contentBase64" not in body:
        return jsonify({"error": "id and contentBase64 are required"}), 400
    item = get_state().add_media(str(body["id"]), base64.b64decode(body["contentBase64"]),
                                 body.get("mimeType", "application/octet-stream"),
                                 body.get("filename"), body.get("filePath"))
    return jsonify({"id": item.media_id, "sha256": item.sha256})


@bp.post("/telegram/<token>/updates")
def queue_update(token: str) -> Any:
    """Queue a Telegram update for getUpdates."""
    return jsonify(get_state().queue_update(token, _json()))


@bp.post("/telegram/chats")
def telegram_chat() -> Any:
    """Seed the Chat object getChat returns: {"id", "first_name", "last_name", "username"}."""
    body = _json()
    if not str(body.get("id", "")).lstrip("-").isdigit():
        return jsonify({"error": "id must be a chat id"}), 400
    return jsonify(get_state().set_telegram_chat(body))


@bp.post("/status-webhook")
def status_webhook() -> Any:
    """Post a signed status webhook to the hub: {hubUrl, kind, channelId, appSecret, ...}."""
    body = _json()
    needed = ("hubUrl", "kind", "channelId", "appSecret", "providerMessageId", "status",
              "recipient")
    missing = [k for k in needed if not body.get(k)]
    if missing:
        return jsonify({"error": f"missing {', '.join(missing)}"}), 400
    try:
        status = get_state().post_status(
            body["hubUrl"], body["kind"], str(body["channelId"]), body["appSecret"],
            body["providerMessageId"], body["status"], str(body["recipient"]))
    except ValueError as exc:
        return jsonify({"error": str(exc)}), 400
    return jsonify({"ok": True, "hubStatus": status})
