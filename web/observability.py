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


def init_app(app: Flask) -> None:
    @app.before_request
    def start_timer():
        g.started = time.monotonic()
        g.request_id = request.headers.get("X-Request-Id") or secrets.token_hex(8)

    @app.after_request
    def record(response):
        elapsed = time.monotonic() - g.get("started", time.monotonic())
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        HTTP_REQUESTS.labels(request.method, endpoint, response.status_code).inc()
        HTTP_LATENCY.labels(request.method, endpoint).observe(elapsed)
        response.headers["X-Request-Id"] = g.get("request_id", "")
        principal = g.get("principal")
        log.info("request id=%s method=%s path=%s status=%s ms=%.1f user=%s",
                 g.get("request_id"), request.method, request.path, response.status_code,
                 elapsed * 1000, principal.user_id if principal else "-")
        return response


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
