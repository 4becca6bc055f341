"""Visitor tokens: what the hub gives a widget visitor, signed with SECRET_KEY.

A token carries the widget, its channel and the visitor id. The widget has no provider to
sign its requests, so this token is its signature: the hub issues it at session start and
checks it on every visitor request and on the raw events the widget stores.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from itsdangerous import BadSignature, URLSafeTimedSerializer

from hub.settings import get_settings

# Salt that keeps visitor tokens apart from anything else signed with SECRET_KEY.
SALT = "hub-widget-visitor"
# A visitor keeps their conversation for this long in the same browser.
TOKEN_MAX_AGE = 180 * 24 * 3600
# The header carrying the token on visitor requests and on stored widget events.
TOKEN_HEADER = "X-Widget-Token"


@dataclass(frozen=True)
class VisitorClaims:
    widget_id: str
    channel_id: str
    visitor_id: str


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt=SALT)


def issue_token(claims: VisitorClaims) -> str:
    return _serializer().dumps({"w": claims.widget_id, "c": claims.channel_id,
                                "v": claims.visitor_id})


def read_token(token: Optional[str]) -> Optional[VisitorClaims]:
    """The claims of a valid, unexpired token; None for anything else."""
    if not token or not isinstance(token, str) or len(token) > 1024:
        return None
    try:
        data = _serializer().loads(token, max_age=TOKEN_MAX_AGE)
    except BadSignature:  # also SignatureExpired
        return None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in "wcv"):
        return None
    return VisitorClaims(data["w"], data["c"], data["v"])


# Salt of the signed links to files of widget conversations (visitor uploads, agent files).
FILE_SALT = "hub-widget-file"


def sign_file(attachment_id: str) -> str:
    return URLSafeTimedSerializer(get_settings().secret_key, salt=FILE_SALT).dumps(attachment_id)


def read_file_signature(signature: Optional[str], attachment_id: str) -> bool:
    """True if `signature` was made for this attachment and is not older than a token."""
    if not signature or len(signature) > 512:
        return False
    try:
        signed = URLSafeTimedSerializer(get_settings().secret_key, salt=FILE_SALT).loads(
            signature, max_age=TOKEN_MAX_AGE)
    except BadSignature:
        return False
    return signed == attachment_id
