"""Helpers every provider blueprint shares: the state, the record hook, fault injection."""
from __future__ import annotations

import re
from typing import Any, Optional

from flask import Blueprint, Response, current_app, g, jsonify, request
from werkzeug.routing import BaseConverter

from connectors.emulators.faults import fault_response
from connectors.emulators.state import EmulatorState


class GraphVersionConverter(BaseConverter):
    """Matches Graph API versions like v19.0, so /bot<token>/... never looks like a version."""

    regex = r"v\d+\.\d+"


def get_state() -> EmulatorState:
    """The state of the running emulator app."""
    return current_app.extensions["emulator_state"]


def request_body() -> Any:
    """The request's payload as the emulator records it: JSON, or form fields and file names."""
    if request.is_json:
        return request.get_json(silent=True)
    body: dict[str, Any] = dict(request.args.items())
    body.update(request.form.items())
    for name, f in request.files.items():
        body[name] = {"filename": f.filename, "content_type": f.mimetype}
    return body


def bearer_token() -> Optional[str]:
    """The bearer token of a Meta call, or the access_token query parameter the Send API allows."""
    auth = request.headers.get("Authorization", "")
    m = re.match(r"(?i)bearer\s+(\S+)", auth)
    if m:
        return m.group(1)
    return request.args.get("access_token")


def install_hooks(bp: Blueprint, provider: str) -> None:
    """Record every request of `bp` and inject the configured faults before the route runs."""

    @bp.before_request
    def _record_and_inject() -> Optional[tuple[Response, int, dict[str, str]]]:
        state = get_state()
        entry = state.record(provider, request.method, request.path, request_body(),
                             dict(request.headers))
        g.emulator_record = entry
        rule = state.faults.pick(provider, request.path)
        if rule is None:
            return None
        entry["fault"] = rule.type
        answer = fault_response(rule, provider)
        if answer is None:  # latency only: the request goes on and may be delivered
            return None
        body, status, headers = answer
        return jsonify(body), status, headers

    @bp.after_request
    def _note_status(response: Response) -> Response:
        entry = g.get("emulator_record")
        if entry is not None:
            entry["status"] = response.status_code
        return response
