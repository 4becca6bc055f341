"""Errors the core raises; the web layer turns each into its status and a JSON error body."""
from __future__ import annotations

from typing import Any, Optional


class HubError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: Optional[Any] = None, code: Optional[str] = None):
        super().__init__(message)
        self.message = message
        self.details = details
        if code:
            self.code = code

    def to_dict(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        return {"success": False, "error": error}


class ValidationError(HubError):
    status, code = 400, "validation_error"


class Unauthorized(HubError):
    status, code = 401, "unauthorized"


class Forbidden(HubError):
    status, code = 403, "forbidden"


class NotFound(HubError):
    status, code = 404, "not_found"


class Conflict(HubError):
    status, code = 409, "conflict"


class PayloadTooLarge(HubError):
    status, code = 413, "payload_too_large"


class Unprocessable(HubError):
    status, code = 422, "unprocessable"


class TooManyRequests(HubError):
    status, code = 429, "rate_limited"

    def __init__(self, message: str, *, retry_after: int = 60, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class Unavailable(HubError):
    status, code = 503, "unavailable"
