"""What WhatsApp, Instagram and Messenger share: handshake, signature, Graph errors, HTTP calls.

Meta's quirks live here as data (header name, error-code tables) so the three connectors only
describe where they differ.
"""
from __future__ import annotations

import email.utils
import hashlib
import hmac
import time
from datetime import datetime, timezone
from typing import Any, Mapping, Optional

import requests

from connectors.base import (HTTP_TIMEOUT, ChannelConfig, Connector, PermanentSendError, header,
                             SendError, TransientSendError)

# Every Meta product calls the Graph API on the same root.
GRAPH_API_BASE = "https://graph.facebook.com/v21.0"
# Header carrying "sha256=<hex HMAC of the body keyed with the app secret>".
SIGNATURE_HEADER = "X-Hub-Signature-256"
# Largest media file we download (WhatsApp documents go up to 100 MB).
MAX_MEDIA_BYTES = 100 * 1024 * 1024

# Graph error codes documented as temporary: throttling, "try again", service unavailable.
TRANSIENT_CODES = frozenset({1, 2, 4, 17, 341, 613, 1200, 80007, 130429, 131000, 131016,
                             131056, 131057, 133004})
# Graph error codes retrying cannot fix: closed window, bad recipient, token, policy, params.
PERMANENT_CODES = frozenset({10, 100, 190, 368, 551, 131026, 131047, 131048, 131049})
# Any 132xxx is a template problem (missing, paused, wrong parameters): permanent.
PERMANENT_CODE_PREFIX = "132"


class MediaTooLargeError(PermanentSendError):
    """A media file over MAX_MEDIA_BYTES: retrying the download cannot help."""


def handshake(channel: ChannelConfig, args: Mapping[str, str]) -> Optional[str]:
    """Meta's GET subscribe check: echo hub.challenge when the verify token matches."""
    token = args.get("hub.verify_token")
    if (args.get("hub.mode") == "subscribe" and channel.verify_token and token
            and hmac.compare_digest(str(token), str(channel.verify_token))):
        return args.get("hub.challenge")
    return None


def escape_non_ascii(text: str) -> str:
    """Replace every non-ASCII char with a lowercase \\uXXXX escape (surrogate pairs above BMP)."""
    out = []
    for ch in text:
        code = ord(ch)
        if code < 0x80:
            out.append(ch)
        elif code <= 0xFFFF:
            out.append("\\u%04x" % code)
        else:
            code -= 0x10000
            out.append("\\u%04x\\u%04x" % (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF)))
    return "".join(out)


def verify_signature(channel: ChannelConfig, headers: Mapping[str, str], raw_body: bytes) -> bool:
    """Check X-Hub-Signature-256 over the raw body, or over its \\uXXXX-escaped form."""
    secret = channel.credentials.get("appSecret")
    signature = header(headers, SIGNATURE_HEADER)
    if not secret or not signature or not signature.startswith("sha256="):
        return False
    # Bytes, so a header with non-ASCII junk compares unequal instead of raising TypeError.
    given = signature[len("sha256="):].strip().lower().encode("utf-8", "replace")
    key = str(secret).encode()
    candidates = [raw_body]
    try:
        # Meta signs some payloads as it serialised them, with non-ASCII escaped (an ASCII
        # body has no other form, and escaping it char by char is not free).
        if not raw_body.isascii():
            candidates.append(escape_non_ascii(raw_body.decode("utf-8")).encode("ascii"))
    except UnicodeDecodeError:
        pass
    matched = False
    for body in candidates:
        expected = hmac.new(key, body, hashlib.sha256).hexdigest().encode()
        matched |= hmac.compare_digest(expected, given)
    return matched


def from_epoch(value: Any, *, millis: bool = False) -> datetime:
    """Provider epoch seconds (or ms) as a naive UTC datetime."""
    seconds = int(value) / 1000 if millis else int(value)
    return datetime.fromtimestamp(seconds, tz=timezone.utc).replace(tzinfo=None)


def http_timeout(channel: ChannelConfig) -> float:
    """Per-channel timeout (`settings.httpTimeout`), so tests and emulators can shorten it."""
    return float(channel.settings.get("httpTimeout") or HTTP_TIMEOUT)


def retry_after_seconds(value: Optional[str]) -> Optional[float]:
    """Parse Retry-After as seconds or as an HTTP date; None when absent or garbled."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_tz(value)
        return max(0.0, email.utils.mktime_tz(parsed) - time.time()) if parsed else None


def _graph_error(body: Any) -> dict[str, Any]:
    """The `error` object of a Graph error body, or {} when the body is not one."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return body["error"]
    return {}


def classify_graph_error(status: int, body: Any, headers: Mapping[str, str]) -> SendError:
    """Turn a Graph API error answer into a transient or permanent SendError."""
    error = _graph_error(body)
    code = error.get("code")
    details = error.get("error_data")
    details = details.get("details") if isinstance(details, dict) else details
    parts = [str(p) for p in dict.fromkeys((error.get("message"), details)) if p]
    reason = "; ".join(parts) or f"HTTP {status}"
    code_text = str(code) if code is not None else None
    if code_text:
        reason = f"{reason} (code {code_text})"
    kwargs = dict(code=code_text or str(status), http_status=status,
                  retry_after=retry_after_seconds(header(headers, "Retry-After")))
    try:
        code_num = int(code) if code is not None else None
    except (TypeError, ValueError):
        code_num = None
    if error.get("is_transient") is True or code_num in TRANSIENT_CODES:
        return TransientSendError(reason, **kwargs)
    if code_num in PERMANENT_CODES or (code_text or "").startswith(PERMANENT_CODE_PREFIX):
        return PermanentSendError(reason, **kwargs)
    if status == 429 or status >= 500:
        return TransientSendError(reason, **kwargs)
    return PermanentSendError(reason, **kwargs)


def graph_call(http: requests.Session, method: str, url: str, *, timeout: float,
               **kwargs: Any) -> requests.Response:
    """One Graph API request; network failures and error answers raise a classified SendError."""
    try:
        response = http.request(method, url, timeout=timeout, **kwargs)
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise TransientSendError(f"{type(exc).__name__}: {exc}", code="network") from exc
    except requests.RequestException as exc:
        raise PermanentSendError(f"{type(exc).__name__}: {exc}", code="request") from exc
    if response.status_code >= 400:
        try:
            body = response.json()
        except ValueError:
            body = None
        raise classify_graph_error(response.status_code, body, response.headers)
    return response


def json_body(response: requests.Response) -> dict[str, Any]:
    """A successful answer's JSON object; a garbled one is a transient provider fault."""
    try:
        body = response.json()
    except ValueError as exc:
        raise TransientSendError("Graph API answered non-JSON", code="bad_json",
                                 http_status=response.status_code) from exc
    return body if isinstance(body, dict) else {}


def fetch_capped(http: requests.Session, url: str, *, timeout: float,
                 headers: Optional[Mapping[str, str]] = None) -> tuple[bytes, Optional[str]]:
    """GET a file, refusing (MediaTooLargeError) anything over MAX_MEDIA_BYTES; (bytes, type)."""
    response = graph_call(http, "GET", url, timeout=timeout, headers=dict(headers or {}),
                          stream=True)
    with response:
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > MAX_MEDIA_BYTES:
            raise MediaTooLargeError(f"media is {declared} bytes", code="media_too_large")
        chunks, total = [], 0
        for chunk in response.iter_content(64 * 1024):
            total += len(chunk)
            if total > MAX_MEDIA_BYTES:
                raise MediaTooLargeError(f"media exceeds {MAX_MEDIA_BYTES} bytes",
                                         code="media_too_large")
            chunks.append(chunk)
    mime = (response.headers.get("Content-Type") or "").split(";")[0].strip() or None
    return b"".join(chunks), mime


class MetaConnector(Connector):
    """Inbound checks every Meta product shares; subclasses add parse and send."""

    default_api_base = GRAPH_API_BASE
    reply_window_hours = 24
    credential_names: tuple[str, ...] = ("accessToken", "appSecret")

    def handshake(self, channel: ChannelConfig, args: Mapping[str, str]) -> Optional[str]:
        return handshake(channel, args)

    def verify_signature(self, channel: ChannelConfig, headers: Mapping[str, str],
                         raw_body: bytes) -> bool:
        """X-Hub-Signature-256 with the app secret (see `verify_signature`)."""
        return verify_signature(channel, headers, raw_body)

    def required_credentials(self) -> tuple[str, ...]:
        return self.credential_names

    @staticmethod
    def auth_headers(channel: ChannelConfig) -> dict[str, str]:
        """Bearer header with the channel's access token."""
        return {"Authorization": f"Bearer {channel.credentials.get('accessToken', '')}"}
