"""A log line and Prometheus counters per request, and the `/metrics` collector."""
from __future__ import annotations

import logging
import secrets
import time

from flask import Flask, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, CounterMetricFamily

from hub.redis_client import get_redis, key
from hub.settings import get_settings

log = logging.getLogger("hub.http")

REGISTRY = CollectorRegistry()
HTTP_REQUESTS = Counter("hub_http_requests_total", "HTTP requests answered",
                        ["method", "endpoint", "status"], registry=REGISTRY)
HTTP_LATENCY = Histogram("hub_http_request_seconds", "HTTP request latency",
                         ["method", "endpoint"], registry=REGISTRY,
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))


class BrokerCollector:
    """Queue depths and job outcomes, read from Redis at scrape time (shared by all workers)."""

    def collect(self):
        from workers.broker import broker  # the web process declares the same queues

        client = get_redis()
        namespace = broker.namespace
        depth = GaugeMetricFamily("hub_queue_depth", "Messages waiting in a Dramatiq queue",
                                  labels=["queue", "state"])
        for queue in sorted(q for q in broker.get_declared_queues() if not q.endswith(".DQ")):
            depth.add_metric([queue, "ready"], client.llen(f"{namespace}:{queue}"))
            depth.add_metric([queue, "delayed"], client.hlen(f"{namespace}:{queue}.DQ.msgs"))
            depth.add_metric([queue, "dead"], client.hlen(f"{namespace}:{queue}.XQ.msgs"))
        yield depth
        outcomes = CounterMetricFamily("hub_jobs", "Jobs processed by outcome",
                                       labels=["actor", "outcome"])
        for field, count in client.hgetall(key("metrics", "jobs")).items():
            actor, _, outcome = field.decode().partition("|")
            outcomes.add_metric([actor, outcome], int(count))
        yield outcomes


REGISTRY.register(BrokerCollector())


# The labelled children of the two metrics, per (method, endpoint, status): `labels()` takes a
# lock and builds its key on every call, a cost on every request for the same few children.
_children: dict[tuple, tuple] = {}


def _metrics(method: str, endpoint: str, status: int) -> tuple:
    key = (method, endpoint, status)
    found = _children.get(key)
    if found is None:
        found = _children.setdefault(key, (HTTP_REQUESTS.labels(method, endpoint, status),
                                           HTTP_LATENCY.labels(method, endpoint)))
    return found


def init_app(app: Flask) -> None:
    @app.before_request
    def start_timer():
        g.started = time.monotonic()
        g.request_id = request.headers.get("X-Request-Id") or secrets.token_hex(8)

    @app.after_request
    def after(response):
        req, state = request._get_current_object(), g._get_current_object()
        elapsed = time.monotonic() - getattr(state, "started", time.monotonic())
        request_id = getattr(state, "request_id", "")
        response.headers["X-Request-Id"] = request_id
        principal = getattr(state, "principal", None)
        record(req.method, req.url_rule.rule if req.url_rule else "unmatched", req.path,
               response.status_code, request_id, elapsed, principal.user_id if principal else "-")
        return response


def record(method: str, endpoint: str, path: str, status: int, request_id: str, elapsed: float,
           user: str) -> None:
    """The metrics and the log line of one answered request (also used by web.webhook_wsgi)."""
    requests_total, latency = _metrics(method, endpoint, status)
    requests_total.inc()
    latency.observe(elapsed)
    if log.isEnabledFor(logging.INFO):
        log.info("request id=%s method=%s path=%s status=%s ms=%.1f user=%s",
                 request_id, method, path, status, elapsed * 1000, user)


def configure_logging() -> None:
    """key=value lines on stderr, one per request and per job, at HUB_LOG_LEVEL."""
    root = logging.getLogger()
    if getattr(root, "_hub_configured", False):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s pid=%(process)d %(message)s"))
    root.addHandler(handler)
    root.setLevel(get_settings().log_level)
    root._hub_configured = True  # type: ignore[attr-defined]
