"""Authorized domains of a widget: add, remove, verify by DNS TXT record or by a file.

The hub gives each domain a token; the owner proves control by publishing
`hub-verification=<token>` as a TXT record (at `_hub-verification.<domain>` or the domain
itself) or by serving the token at `/.well-known/hub-verification.txt`.
"""
from __future__ import annotations

import logging
import re
import secrets
from typing import Optional
from urllib.parse import urlsplit

import dns.exception
import dns.resolver
import requests

from hub.audit import record
from hub.auth import Principal
from hub.db import transaction
from hub.errors import Conflict, NotFound, ValidationError
from hub.models import AuthorizedDomain, Widget, utcnow
from hub.scoping import get_scoped
from hub.settings import get_settings

log = logging.getLogger("hub.widgets")

TXT_PREFIX = "hub-verification="
TXT_SUBDOMAIN = "_hub-verification"
FILE_PATH = "/.well-known/hub-verification.txt"
# Seconds a DNS query or the file fetch may take.
CHECK_TIMEOUT = 5
# A domain a widget may be embedded on: host names or IPv4, with an optional port.
_HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$")


class CheckFailed(Exception):
    """The token was not found; `transient` when the check itself could not run."""

    def __init__(self, reason: str, transient: bool = False):
        super().__init__(reason)
        self.transient = transient


def normalize_domain(value: str) -> str:
    """`https://Shop.Example.com/page` -> `shop.example.com`; a port is kept; 400 if invalid."""
    raw = (value or "").strip().lower()
    parts = urlsplit(raw if "//" in raw else f"//{raw}")
    try:
        host, port = parts.hostname or "", parts.port
    except ValueError:
        raise ValidationError("the domain has an invalid port", code="invalid_domain") from None
    try:
        host = host.encode("idna").decode("ascii") if host else ""
    except UnicodeError:
        raise ValidationError("the domain is not a valid host name", code="invalid_domain") from None
    if not host or not _HOST.match(host) or parts.username or parts.password:
        raise ValidationError("the domain is not a valid host name", code="invalid_domain",
                              details={"domain": value})
    return f"{host}:{port}" if port else host


def instructions(domain: AuthorizedDomain) -> dict[str, object]:
    host = domain.domain.split(":")[0]
    scheme = get_settings().widget_verify_scheme
    return {
        "dns": {"type": "TXT", "name": f"{TXT_SUBDOMAIN}.{host}",
                "value": f"{TXT_PREFIX}{domain.token}",
                "note": f"or the same TXT value on {host} itself"},
        "file": {"url": f"{scheme}://{domain.domain}{FILE_PATH}", "content": domain.token},
    }


def add_domain(principal: Principal, widget: Widget, value: str) -> AuthorizedDomain:
    principal.require_role("admin")
    domain = normalize_domain(value)
    with transaction():
        if AuthorizedDomain.select().where((AuthorizedDomain.widget == widget.id)
                                           & (AuthorizedDomain.domain == domain)).exists():
            raise Conflict("this domain is already on the widget", code="domain_exists")
        row = AuthorizedDomain.create(company=widget.company_id, widget=widget.id, domain=domain,
                                      token=secrets.token_hex(16))
        record(principal, "widget.domain_added", "widget", widget.id, {"domain": domain})
    return row


def get_domain(principal: Principal, widget: Widget, domain_id: str) -> AuthorizedDomain:
    row = get_scoped(AuthorizedDomain, domain_id, principal.company_id, "domain")
    if row.widget_id != widget.id:
        raise NotFound("domain not found")
    return row


def remove_domain(principal: Principal, domain: AuthorizedDomain) -> None:
    principal.require_role("admin")
    with transaction():
        domain.delete_instance()
        record(principal, "widget.domain_removed", "widget", domain.widget_id,
               {"domain": domain.domain})


def _resolver() -> dns.resolver.Resolver:
    address = get_settings().widget_dns_resolver
    if not address:
        resolver = dns.resolver.Resolver()
    else:
        resolver = dns.resolver.Resolver(configure=False)
        host, _, port = address.rpartition(":") if address.count(":") == 1 else (address, "", "")
        resolver.nameservers = [host or address]
        resolver.port = int(port) if port else 53
    resolver.timeout = resolver.lifetime = CHECK_TIMEOUT
    return resolver


def check_dns(domain: str, token: str) -> None:
    """Pass if a TXT record holds the token; CheckFailed otherwise."""
    host = domain.split(":")[0]
    resolver, expected, transient = _resolver(), f"{TXT_PREFIX}{token}", False
    for name in (f"{TXT_SUBDOMAIN}.{host}", host):
        try:
            answer = resolver.resolve(name, "TXT")
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            continue
        except (dns.exception.Timeout, dns.resolver.NoNameservers, OSError):
            transient = True
            continue
        for rdata in answer:
            if b"".join(rdata.strings).decode("utf-8", "replace").strip() == expected:
                return
    raise CheckFailed("no TXT record holds the token", transient=transient)


def check_file(domain: str, token: str) -> None:
    """Pass if the verification file holds exactly the token; CheckFailed otherwise."""
    settings = get_settings()
    if settings.widget_verify_port and ":" not in domain:
        domain = f"{domain}:{settings.widget_verify_port}"
    url = f"{settings.widget_verify_scheme}://{domain}{FILE_PATH}"
    try:
        response = requests.get(url, timeout=CHECK_TIMEOUT, allow_redirects=False,
                                headers={"User-Agent": "hub-domain-verification"}, stream=True)
        body = response.raw.read(1024, decode_content=True)
    except requests.RequestException as exc:
        raise CheckFailed(f"{url} could not be fetched: {type(exc).__name__}", True) from None
    if response.status_code != 200:
        raise CheckFailed(f"{url} answered {response.status_code}",
                          transient=response.status_code >= 500)
    if body.decode("utf-8", "replace").strip() != token:
        raise CheckFailed(f"{url} does not hold the token")


def check(domain: AuthorizedDomain) -> tuple[Optional[str], dict[str, CheckFailed]]:
    """(method that passed, None) or (None, the failure of each method)."""
    failures: dict[str, CheckFailed] = {}
    for method, checker in (("dns", check_dns), ("file", check_file)):
        try:
            checker(domain.domain, domain.token)
            return method, {}
        except CheckFailed as exc:
            failures[method] = exc
    return None, failures


def verify_domain(domain: AuthorizedDomain, *, recheck: bool = False) -> AuthorizedDomain:
    """Check now and store the outcome.

    On a recheck, a domain stays verified when the check of the method that proved it could
    not run (resolver or site down); it loses it when that check ran and found no token.
    """
    method, failures = check(domain)
    now = utcnow()
    if method:
        changes = {"verified": True, "method": method, "last_error": None,
                   "verified_at": domain.verified_at if domain.verified else now}
    else:
        proof = failures.get(domain.method or "")
        keep = recheck and domain.verified and proof is not None and proof.transient
        changes = {"verified": keep,
                   "last_error": "; ".join(f"{m}: {f}" for m, f in failures.items())}
    AuthorizedDomain.update(**changes, last_checked_at=now).where(
        AuthorizedDomain.id == domain.id).execute()
    return AuthorizedDomain.get_by_id(domain.id)


def recheck_all() -> dict[str, int]:
    """The scheduler's daily pass over every domain; returns counts for the log."""
    counts = {"checked": 0, "verified": 0, "lost": 0}
    for domain in AuthorizedDomain.select().order_by(AuthorizedDomain.id):
        was = domain.verified
        try:
            row = verify_domain(domain, recheck=True)
        except Exception:  # one broken domain must not stop the others
            log.exception("domain recheck failed domain=%s", domain.domain)
            continue
        counts["checked"] += 1
        counts["verified"] += int(row.verified)
        counts["lost"] += int(was and not row.verified)
    log.info("widget domains rechecked %s", counts)
    return counts
