"""Every error the web layer answers is JSON: `{"success": false, "error": {code, message}}`."""
from __future__ import annotations

import logging

import marshmallow
import peewee
from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from hub.errors import HubError, TooManyRequests

log = logging.getLogger("hub.web")

# Status codes of werkzeug's errors, renamed to the codes our API documents.
HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
    415: "unsupported_media_type", 422: "unprocessable", 429: "rate_limited",
}


def error_response(status: int, code: str, message: str, details=None):
    error = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return jsonify({"success": False, "error": error}), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HubError)
    def hub_error(exc: HubError):
        response, status = error_response(exc.status, exc.code, exc.message, exc.details)
        if isinstance(exc, TooManyRequests):
            response.headers["Retry-After"] = str(int(exc.retry_after) + 1)
        return response, status

    @app.errorhandler(marshmallow.ValidationError)
    def validation_error(exc: marshmallow.ValidationError):
        return error_response(400, "validation_error", "the request is not valid",
                              exc.normalized_messages())

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        return error_response(status, HTTP_CODES.get(status, "http_error"),
                              exc.description or exc.name)

    @app.errorhandler(peewee.OperationalError)
    @app.errorhandler(peewee.InterfaceError)
    def database_unavailable(exc: Exception):
        # The database is down or locked: 503 tells providers and clients to retry later.
        log.error("database unavailable path=%s error=%r", request.path, exc)
        return error_response(503, "database_unavailable", "the database is unavailable; retry")

    @app.errorhandler(ValueError)
    def nul_in_text(exc: ValueError):
        # psycopg2 refuses NUL characters before sending a query; any input path that missed
        # the schemas' check still gets a 400, not a 500.
        if "NUL (0x00)" in str(exc):
            return error_response(400, "invalid_characters",
                                  "text must not contain NUL (\\u0000) characters")
        return unexpected(exc)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error path=%s", request.path)
        return error_response(500, "internal_error", "an unexpected error occurred")
