"""Graph Send API (Messenger and Instagram): send messages, upload attachments, serve files."""
from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, jsonify, request

from connectors.emulators.common import bearer_token, get_state, install_hooks
from connectors.emulators.faults import meta_error

bp = Blueprint("emulator_graph", __name__)
install_hooks(bp, "graph")

# The Send API's limit on message.text, in characters.
MAX_TEXT = 2000
MESSAGING_TYPES = {"RESPONSE", "UPDATE", "MESSAGE_TAG"}


def _bad_request(message: str, code: int = 100) -> tuple[Response, int]:
    body = meta_error(code, message)
    return jsonify(body), 400


def _unauthorized() -> tuple[Response, int] | None:
    """Meta's 190 OAuthException for a missing or wrong page token, else None."""
    if get_state().token_ok("graph", bearer_token()):
        return None
    return jsonify(meta_error(190, "Invalid OAuth access token - Cannot parse access token")), 401


def handle_send(body: Any) -> Any:
    """Validate and accept one Send API call (shared with /<page-or-ig-id>/messages)."""
    if (denied := _unauthorized()) is not None:
        return denied
    if not isinstance(body, dict):
        return _bad_request("(#100) The request body must be JSON")
    recipient = body.get("recipient") or {}
    if isinstance(recipient, str):  # form-encoded calls send JSON strings
        recipient = json.loads(recipient)
    rid = recipient.get("id") or recipient.get("comment_id") or recipient.get("post_id")
    if not rid:
        return _bad_request("(#100) The parameter recipient is required")
    if body.get("sender_action"):
        return jsonify({"recipient_id": str(rid)})
    message = body.get("message")
    if not isinstance(message, dict) or not (message.get("text") or message.get("attachment")):
        return _bad_request("(#100) The parameter message is required")
    if len(message.get("text") or "") > MAX_TEXT:
        return _bad_request(f"(#100) Length of param message[text] must be less than or "
                            f"equal to {MAX_TEXT}")
    mtype = body.get("messaging_type", "RESPONSE")
    if mtype not in MESSAGING_TYPES:
        return _bad_request("(#100) Param messaging_type must be one of "
                            f"{sorted(MESSAGING_TYPES)}")
    if mtype == "MESSAGE_TAG" and not body.get("tag"):
        return _bad_request("(#100) Tag is required for MESSAGE_TAG messaging type")
    state = get_state()
    mid = "m_" + state.unique("AbZx")
    state.deliver("graph", str(rid), mid, body)
    return jsonify({"recipient_id": str(rid), "message_id": mid})


@bp.post("/<gv:version>/me/messages")
def send_message(version: str) -> Any:
    """POST /me/messages with the page (or Instagram) access token; JSON or multipart."""
    if request.is_json:
        return handle_send(request.get_json(silent=True))
    return handle_send(_multipart_send())


def _multipart_send() -> dict[str, Any]:
    """A Send API call with `filedata`: JSON fields arrive as strings next to the file."""
    body: dict[str, Any] = dict(request.form.items())
    for name in ("recipient", "message"):
        if isinstance(body.get(name), str):
            try:
                body[name] = json.loads(body[name])
            except ValueError:
                body[name] = None
    upload = request.files.get("filedata")
    message = body.get("message")
    if upload is not None and isinstance(message, dict) and message.get("attachment"):
        state = get_state()
        attachment_id = str(state.number())
        state.add_media(attachment_id, upload.read(),
                        upload.mimetype or "application/octet-stream", filename=upload.filename)
        payload = message["attachment"].setdefault("payload", {})
        payload.update(attachment_id=attachment_id, filename=upload.filename)
    return body


@bp.post("/<gv:version>/me/message_attachments")
def upload_attachment(version: str) -> Any:
    """Store an attachment for reuse and answer its attachment_id."""
    if (denied := _unauthorized()) is not None:
        return denied
    upload = request.files.get("filedata")
    if upload is None:
        return _bad_request("(#100) The parameter filedata is required")
    state = get_state()
    attachment_id = str(state.number())
    state.add_media(attachment_id, upload.read(), upload.mimetype or "application/octet-stream",
                    filename=upload.filename)
    return jsonify({"attachment_id": attachment_id})


@bp.get("/_attachments/<attachment_id>")
def attachment(attachment_id: str) -> Any:
    """An attachment URL as Meta's CDN serves it: signed URL, no bearer token needed."""
    media = get_state().get_media(attachment_id)
    if media is None:
        return Response("Not Found", status=404, mimetype="text/plain")
    return Response(media.content, mimetype=media.mime_type)
