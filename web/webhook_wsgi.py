"""Provider webhook POSTs answered at the WSGI layer, below Flask.

Every inbound message arrives as such a POST, and providers send them in bursts. For this one
endpoint Flask's per-request machinery (request and app contexts, URL matching, the before and
after hooks, a Response object) cost as much CPU as the intake's own work. This middleware answers
`POST /webhooks/<kind>/<channel_id>` itself with the view's own steps (`web.webhooks.accept`),
the same answers and error bodies, and the same request id, log line and metrics as
`web.observability` gives every Flask request.

Everything else goes to Flask untouched. So do deliveries without a Content-Length (a chunked
body; Flask's stream knows how to end it) and any error that is not a HubError: a database
that is down gets the Flask path's 503 and its log line, with the body as it was read.
"""
from __future__ import annotations

import io
import json
import secrets
import time
from http import HTTPStatus
from typing import Callable, Iterable

from werkzeug.datastructures import EnvironHeaders

from hub.errors import HubError
from web.observability import record
from web.webhooks import accept, ack

PREFIX = "/webhooks/"
# The Flask rule these requests would have matched: the endpoint label of their metrics.
RULE = "/webhooks/<kind>/<channel_id>"

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


class WebhookFastPath:
    """WSGI middleware in front of the Flask app (`app.wsgi_app = WebhookFastPath(...)`)."""

    def __init__(self, flask_wsgi: WSGIApp) -> None:
        self.flask_wsgi = flask_wsgi

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") != "POST" or not path.startswith(PREFIX):
            return self.flask_wsgi(environ, start_response)
        segments = path[len(PREFIX):].split("/")
        length = environ.get("CONTENT_LENGTH") or ""
        if len(segments) != 2 or not all(segments) or not length.isdigit():
            return self.flask_wsgi(environ, start_response)  # Flask's 404, or a chunked body
        started = time.monotonic()
        request_id = environ.get("HTTP_X_REQUEST_ID") or secrets.token_hex(8)
        stream, read = environ["wsgi.input"], []

        def read_body(limit: int) -> bytes:
            # Exactly the announced bytes (accept() refused a length over the limit already):
            # a server's input stream may not end by itself at the end of the body.
            read.append(stream.read(min(int(length), limit + 1)))
            return read[0]

        try:
            event_id, created = accept(segments[0], segments[1], EnvironHeaders(environ),
                                       int(length), read_body)
            status, body = 200, ack(event_id, created)
        except HubError as exc:
            status = exc.status
            # As Flask's jsonify writes it (compact, a final newline): the same bytes either way.
            body = json.dumps(exc.to_dict(), ensure_ascii=False, separators=(",", ":")) + "\n"
        except Exception:
            if read:  # Flask runs the delivery again on the same bytes (it is idempotent)
                environ["wsgi.input"] = io.BytesIO(read[0])
            return self.flask_wsgi(environ, start_response)
        encoded = body.encode("utf-8")
        start_response(f"{status} {HTTPStatus(status).phrase}", [
            ("Content-Type", "application/json"), ("Content-Length", str(len(encoded))),
            ("X-Request-Id", request_id)])
        record("POST", RULE, path, status, request_id, time.monotonic() - started, "-")
        return [encoded]

