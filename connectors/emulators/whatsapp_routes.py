"""WhatsApp Cloud API: send messages, upload and fetch media, templates, phone number info."""
from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from connectors.emulators.common import bearer_token, get_state, install_hooks
from connectors.emulators.faults import meta_error
from connectors.emulators.status_webhooks import schedule_auto_status

bp = Blueprint("emulator_whatsapp", __name__)
install_hooks(bp, "whatsapp")

# Message types the Cloud API accepts; each needs an object of the same name in the body.
MESSAGE_TYPES = {"text", "image", "audio", "video", "document", "sticker", "location",
                 "contacts", "interactive", "template", "reaction"}
# Templates answered when a test did not configure its own.
DEFAULT_TEMPLATES = [
    {"name": "hello_world", "language": "en_US", "status": "APPROVED", "category": "UTILITY",
     "id": "1000000000000001",
     "components": [{"type": "HEADER", "format": "TEXT", "text": "Hello World"},
                    {"type": "BODY", "text": "Welcome and congratulations!"}]},
    {"name": "order_update", "language": "en_US", "status": "APPROVED", "category": "UTILITY",
     "id": "1000000000000002",
     "components": [{"type": "BODY", "text": "Your order {{1}} is {{2}}.",
                     "example": {"body_text": [["#123", "on its way"]]}}]},
]


def _bad_request(message: str, code: int = 100) -> tuple[Response, int]:
    return jsonify(meta_error(code, message, details=message)), 400


def _unauthorized() -> tuple[Response, int] | None:
    """Meta's answer to a missing or wrong access token, or None when the token is fine."""
    if get_state().token_ok("whatsapp", bearer_token()):
        return None
    body = meta_error(190, "Invalid OAuth access token - Cannot parse access token")
    return jsonify(body), 401


@bp.post("/<gv:version>/<phone_number_id>/messages")
def send_message(version: str, phone_number_id: str) -> Any:
    """Accept a message (or a read receipt) the way the Cloud API does."""
    if (denied := _unauthorized()) is not None:
        return denied
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _bad_request("(#100) The request body must be JSON")
    if "recipient" in body and "messaging_product" not in body:
        # /<page-or-ig-id>/messages is the Send API, not WhatsApp: same path shape.
        from connectors.emulators.graph_routes import handle_send
        g.emulator_record["provider"] = "graph"
        return handle_send(body)
    if body.get("messaging_product") != "whatsapp":
        return _bad_request("(#100) The parameter messaging_product is required.")
    if body.get("status") == "read":
        if not body.get("message_id"):
            return _bad_request("(#100) The parameter message_id is required.")
        return jsonify({"success": True})
    to = str(body.get("to") or "")
    if not to:
        return _bad_request("(#100) The parameter to is required.")
    mtype = body.get("type", "text")
    if mtype not in MESSAGE_TYPES:
        return _bad_request(f"(#100) Param type must be one of {sorted(MESSAGE_TYPES)}")
    if not isinstance(body.get(mtype), dict) and not isinstance(body.get(mtype), list):
        return _bad_request(f"(#100) The parameter {mtype} is required.")
    if mtype == "text":
        text = body["text"].get("body")
        if not text:
            return _bad_request("(#100) The parameter text['body'] is required.")
        if len(text) > 4096:
            return _bad_request("(#100) Param text['body'] must be at most 4096 characters long.")
    state = get_state()
    wamid = "wamid." + state.unique("HBgL")
    state.deliver("whatsapp", to, wamid, body)
    wa_id = re.sub(r"\D", "", to)
    message: dict[str, Any] = {"id": wamid}
    if mtype == "template":
        message["message_status"] = "accepted"
    schedule_auto_status(state, wamid, wa_id, phone_number_id)
    return jsonify({"messaging_product": "whatsapp",
                    "contacts": [{"input": to, "wa_id": wa_id}], "messages": [message]})


@bp.post("/<gv:version>/<phone_number_id>/media")
def upload_media(version: str, phone_number_id: str) -> Any:
    """Store a multipart upload and answer its media id."""
    if (denied := _unauthorized()) is not None:
        return denied
    upload = request.files.get("file")
    if request.form.get("messaging_product") != "whatsapp":
        return _bad_request("(#100) The parameter messaging_product is required.")
    if upload is None:
        return _bad_request("(#100) The parameter file is required.")
    state = get_state()
    media_id = str(10**15 + state.number())
    mime = request.form.get("type") or upload.mimetype or "application/octet-stream"
    state.add_media(media_id, upload.read(), mime, filename=upload.filename)
    return jsonify({"id": media_id})


@bp.get("/<gv:version>/<object_id>")
def get_object(version: str, object_id: str) -> Any:
    """A media id answers its download URL; any other id is taken as a phone number id."""
    if (denied := _unauthorized()) is not None:
        return denied
    media = get_state().get_media(object_id)
    if media is not None:
        url = f"{request.host_url}whatsapp_business/attachments/?mid={object_id}"
        return jsonify({"url": url, "mime_type": media.mime_type, "sha256": media.sha256,
                        "file_size": len(media.content), "id": object_id,
                        "messaging_product": "whatsapp"})
    return jsonify({"verified_name": "Omnihub Test", "code_verification_status": "VERIFIED",
                    "display_phone_number": "+1 555-000-1111", "quality_rating": "GREEN",
                    "platform_type": "CLOUD_API", "throughput": {"level": "STANDARD"},
                    "id": object_id})


@bp.get("/<gv:version>/<waba_id>/message_templates")
def list_templates(version: str, waba_id: str) -> Any:
    """The business account's message templates, one page."""
    if (denied := _unauthorized()) is not None:
        return denied
    templates = get_state().templates or DEFAULT_TEMPLATES
    return jsonify({"data": templates,
                    "paging": {"cursors": {"before": "QVFIUk1", "after": "QVFIUk2"}}})


@bp.get("/whatsapp_business/attachments/")
def download_media() -> Any:
    """The media bytes behind a media URL; like Meta's, it needs the bearer token."""
    if (denied := _unauthorized()) is not None:
        return denied
    media = get_state().get_media(request.args.get("mid", ""))
    if media is None:
        return jsonify(meta_error(100, "(#100) Media not found")), 404
    return Response(media.content, mimetype=media.mime_type)
