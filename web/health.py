"""`GET /healthz` and `GET /metrics`."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify
from prometheus_client import generate_latest, CONTENT_TYPE_LATEST

from hub.db import db
from hub.redis_client import get_redis
from web.observability import REGISTRY
from workers.middleware import heartbeat_pattern

bp = Blueprint("health", __name__)


def _check_database() -> str:
    try:
        db.execute_sql("SELECT 1").fetchone()
        return "ok"
    except Exception as exc:
        return f"error: {type(exc).__name__}"


def _check_broker() -> tuple[str, int]:
    try:
        client = get_redis()
        client.ping()
        workers = sum(1 for _ in client.scan_iter(match=heartbeat_pattern(), count=500))
        return "ok", workers
    except Exception as exc:
        return f"error: {type(exc).__name__}", 0


@bp.get("/healthz")
def healthz():
    database = _check_database()
    broker, workers = _check_broker()
    body = {"status": "ok", "database": database, "broker": broker, "workers": workers}
    failing = [name for name, value in (("database", database), ("broker", broker))
               if value != "ok"]
    if workers == 0:
        failing.append("workers")
    if failing:
        body["status"] = "error"
        body["failing"] = failing
        return jsonify(body), 503
    return jsonify(body)


@bp.get("/metrics")
def metrics():
    return Response(generate_latest(REGISTRY), mimetype=CONTENT_TYPE_LATEST)
