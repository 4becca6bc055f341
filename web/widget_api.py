"""The visitor API of a widget: `/widget/api/<widgetId>/...` (config, session, messages, files)."""
from __future__ import annotations

import re

from flask import jsonify, request, send_file

from connectors.widget.tokens import read_file_signature
from hub.attachments import file_path
from hub.companies import company_settings
from hub.errors import NotFound, ValidationError
from hub.models import Attachment, Company
from hub.widget_access import bump, public_widget
from hub.widget_inbound import check_rate, submit_message, upload_file, visitor_typing
from hub.widget_visitors import mark_seen, start_session, visitor_thread
from hub.widgets import agents_online, widget_settings
from web.widget import bp
from web.widget_guard import client_address, guard, visitor

PREFIX = "/widget/api/<widget_id>"
CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError("the body must be a JSON object", code="invalid_json")
    return body


@bp.before_request
def preflight():
    """CORS preflight: answered for allowed origins only (Flask's automatic OPTIONS is not)."""
    if request.method == "OPTIONS" and request.path.startswith("/widget/api/"):
        guard((request.view_args or {}).get("widget_id", ""), need_active=False)
        return "", 204
    return None


@bp.get(f"{PREFIX}/config")
def config(widget_id: str):
    """What the frame renders; counts a load of the widget.

    `online` is false when no agent of the company is online: the frame then shows the
    configured `offlineMessage` (and still takes messages, answered later).
    """
    widget, _ = guard(widget_id)
    bump(widget, "loads")
    chat = company_settings(Company.get_by_id(widget.company_id))["chat"]
    settings = widget_settings(widget)
    online = agents_online(widget.company_id)
    return jsonify({"id": widget.id, "type": widget.type, "settings": settings,
                    "preChatFields": widget.pre_chat_fields or [],
                    "fileSharing": bool(chat["fileSharing"]), "maxFileSize": chat["maxFileSize"],
                    "online": online,
                    "offlineMessage": None if online else settings["offlineMessage"]})


@bp.post(f"{PREFIX}/session")
def session(widget_id: str):
    """The pre-chat form in, a visitor token out (identity verified when the host vouches)."""
    widget, _ = guard(widget_id)
    check_rate(widget, "new", client_address(), what="session")
    body = _body()
    started = start_session(widget, body.get("form") or {}, user_id=body.get("userId"),
                            given_hash=body.get("userHash"),
                            previous_token=body.get("previousToken"))
    return jsonify({"token": started.token, "visitorId": started.visitor_id,
                    "verified": started.verified_user_id is not None,
                    "messages": visitor_thread(widget, started.visitor_id)}), 201


@bp.get(f"{PREFIX}/messages")
def messages(widget_id: str):
    widget, _ = guard(widget_id, need_active=False)
    claims, _ = visitor(widget)
    return jsonify({"visitorId": claims.visitor_id,
                    "messages": visitor_thread(widget, claims.visitor_id)})


@bp.post(f"{PREFIX}/messages")
def send(widget_id: str):
    widget, _ = guard(widget_id)
    claims, token = visitor(widget)
    body = _body()
    client_id = body.get("clientMessageId")
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        raise ValidationError("clientMessageId: 1-64 letters, digits, _ . : -",
                              code="invalid_client_message_id")
    text, files = body.get("text") or "", body.get("attachmentIds") or []
    if not isinstance(text, str) or not isinstance(files, list) or not all(
            isinstance(f, str) for f in files) or len(files) > 10:
        raise ValidationError("text must be a string and attachmentIds at most 10 ids",
                              code="invalid_message")
    check_rate(widget, claims.visitor_id, client_address())
    event_id, created = submit_message(widget, claims, token, client_message_id=client_id,
                                       text=text, attachment_ids=files)
    return jsonify({"accepted": True, "clientMessageId": client_id, "eventId": event_id,
                    "duplicate": not created}), 202


@bp.post(f"{PREFIX}/attachments")
def attach(widget_id: str):
    widget, _ = guard(widget_id)
    claims, _ = visitor(widget)
    check_rate(widget, claims.visitor_id, client_address(), what="upload")
    upload = request.files.get("file")
    if upload is None:
        raise ValidationError("send the file as multipart field `file`", code="missing_file")
    a = upload_file(widget, claims, upload.read(), upload.filename)
    return jsonify({"id": a.id, "name": a.name, "kind": a.kind, "type": a.content_type,
                    "size": a.size}), 201


@bp.post(f"{PREFIX}/typing")
def typing(widget_id: str):
    widget, _ = guard(widget_id)
    claims, _ = visitor(widget)
    check_rate(widget, claims.visitor_id, client_address(), what="typing")
    return jsonify({"published": visitor_typing(widget, claims, bool(_body().get("typing")))})


@bp.post(f"{PREFIX}/read")
def read(widget_id: str):
    widget, _ = guard(widget_id, need_active=False)
    claims, _ = visitor(widget)
    body = _body()
    ids, status = body.get("messageIds"), body.get("status") or "read"
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ValidationError("messageIds must be a list of ids", code="invalid_ids")
    if status not in ("delivered", "read"):
        raise ValidationError("status is delivered or read", code="invalid_status")
    return jsonify({status: mark_seen(widget, claims.visitor_id, ids, status)})


@bp.get(f"{PREFIX}/files/<attachment_id>")
def file(widget_id: str, attachment_id: str):
    """A file of a widget conversation by its signed link (img tags send no token)."""
    if not read_file_signature(request.args.get("sig"), attachment_id):
        raise NotFound("file not found")
    a = Attachment.get_or_none((Attachment.id == attachment_id)
                               & (Attachment.company == public_widget(widget_id).company_id))
    thumbnail = request.args.get("thumbnail") == "1" and bool(a and a.thumbnail_path)
    path = file_path(a, thumbnail) if a else None
    if path is None or not path.exists():
        raise NotFound("file not found")
    inline = a.content_type.startswith("image/") or thumbnail
    response = send_file(path, mimetype="image/png" if thumbnail else a.content_type,
                         as_attachment=not inline, download_name=a.name, max_age=3600)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
