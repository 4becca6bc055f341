"""Fault injection: latency, 5xx, 429, provider error codes and timeouts, per provider."""
from __future__ import annotations

import random
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any, Optional

# The fault kinds a rule can inject.
FAULT_TYPES = ("latency", "http_5xx", "rate_limit", "error_code", "timeout")
# Providers a rule can target; "all" matches every one of them.
PROVIDERS = ("whatsapp", "graph", "telegram", "all")


@dataclass
class FaultRule:
    """One injection rule: which requests (provider, path, rate or next N) and what goes wrong."""

    type: str
    provider: str = "all"
    rate: float = 1.0
    remaining: Optional[int] = None  # "next N requests"; None means every matching one
    match: Optional[str] = None  # only paths containing this substring
    latency_ms: int = 0
    status: int = 503
    retry_after: int = 1
    code: Optional[int] = None
    message: Optional[str] = None
    details: Optional[str] = None
    http_status: Optional[int] = None
    is_transient: Optional[bool] = None
    timeout_ms: int = 30000

    @classmethod
    def from_dict(cls, spec: dict[str, Any]) -> "FaultRule":
        """Build a rule from the control API's camelCase JSON; ValueError on a bad spec."""
        if spec.get("type") not in FAULT_TYPES:
            raise ValueError(f"type must be one of {FAULT_TYPES}")
        if spec.get("provider", "all") not in PROVIDERS:
            raise ValueError(f"provider must be one of {PROVIDERS}")
        rate = float(spec.get("rate", 1.0))
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        nxt = spec.get("next")
        return cls(
            type=spec["type"], provider=spec.get("provider", "all"), rate=rate,
            remaining=int(nxt) if nxt is not None else None, match=spec.get("match"),
            latency_ms=int(spec.get("latencyMs", 0)), status=int(spec.get("status", 503)),
            retry_after=int(spec.get("retryAfter", 1)), code=spec.get("code"),
            message=spec.get("message"), details=spec.get("details"),
            http_status=spec.get("httpStatus"), is_transient=spec.get("isTransient"),
            timeout_ms=int(spec.get("timeoutMs", 30000)),
        )


class FaultInjector:
    """Picks the fault (if any) for a request; rate decisions come from one seeded RNG."""

    def __init__(self, seed: Optional[int] = None):
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self.rules: list[FaultRule] = []

    def clear(self) -> None:
        with self._lock:
            self.rules = []

    def configure(self, specs: list[dict[str, Any]], seed: Optional[int] = None,
                  replace: bool = True) -> None:
        """Install rules (replacing the old ones unless replace is False); reseed if asked."""
        rules = [FaultRule.from_dict(s) for s in specs]
        with self._lock:
            if seed is not None:
                self._rng = random.Random(seed)
            self.rules = rules if replace else self.rules + rules

    def pick(self, provider: str, path: str) -> Optional[FaultRule]:
        """The first rule that fires for this request; next-N rules count down as they fire."""
        with self._lock:
            for rule in self.rules:
                if rule.provider not in ("all", provider):
                    continue
                if rule.match and rule.match not in path:
                    continue
                if rule.rate < 1.0 and self._rng.random() >= rule.rate:
                    continue
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self.rules.remove(rule)
                return rule
        return None


def _fbtrace() -> str:
    return "A" + secrets.token_urlsafe(16)


def meta_error(code: int, message: str, *, err_type: str = "OAuthException",
               details: Optional[str] = None, is_transient: Optional[bool] = None,
               ) -> dict[str, Any]:
    """Meta's Graph error body, shared by the WhatsApp Cloud API and the Send API."""
    err: dict[str, Any] = {"message": message, "type": err_type, "code": code,
                           "fbtrace_id": _fbtrace()}
    if details is not None:
        err["error_data"] = {"messaging_product": "whatsapp", "details": details}
    if is_transient is not None:
        err["is_transient"] = is_transient
    return {"error": err}


def telegram_error(code: int, description: str,
                   retry_after: Optional[int] = None) -> dict[str, Any]:
    """The Bot API's error body."""
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return body


def fault_response(rule: FaultRule, provider: str
                   ) -> Optional[tuple[dict[str, Any], int, dict[str, str]]]:
    """Apply a rule: sleep for latency (and answer normally) or build the error response."""
    if rule.type == "latency":
        time.sleep(rule.latency_ms / 1000)
        return None
    tg = provider == "telegram"
    if rule.type == "timeout":
        # Sleep past the client's timeout; whatever we answer afterwards nobody reads.
        time.sleep(rule.timeout_ms / 1000)
        return ((telegram_error(504, "Gateway Timeout") if tg else
                 meta_error(2, "Service temporarily unavailable", is_transient=True)), 504, {})
    if rule.type == "http_5xx":
        if tg:
            return telegram_error(rule.status, "Internal Server Error"), rule.status, {}
        msg = rule.message or "An unexpected error has occurred. Please retry your request later."
        return meta_error(rule.code or 2, msg, is_transient=True), rule.status, {}
    if rule.type == "rate_limit":
        headers = {"Retry-After": str(rule.retry_after)}
        if tg:
            desc = f"Too Many Requests: retry after {rule.retry_after}"
            return telegram_error(429, desc, rule.retry_after), 429, headers
        code = rule.code or (130429 if provider == "whatsapp" else 613)
        msg = rule.message or "Rate limit hit"
        return meta_error(code, msg, details=rule.details, is_transient=True), 429, headers
    # error_code: the provider's own error, e.g. WhatsApp 131047 or Telegram 403.
    if tg:
        code = int(rule.code or 400)
        desc = rule.message or "Bad Request"
        return telegram_error(code, desc), int(rule.http_status or code), {}
    code = int(rule.code or 100)
    msg = rule.message or f"(#{code}) Error"
    body = meta_error(code, msg, details=rule.details, is_transient=rule.is_transient)
    return body, int(rule.http_status or 400), {}
