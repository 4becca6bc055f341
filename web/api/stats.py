"""Reports: `/api/chat/stats`, `/api/metrics` and the dashboard's series, read from rollups."""
from __future__ import annotations

from flask import jsonify

from hub import analytics_report
from hub.models import Channel
from hub.scoping import get_scoped
from schemas.stats import ChatMetricSchema, DaysQuerySchema, StatsQuerySchema, StatsSchema
from web.api.blueprint import bp
from web.auth import current_principal, roles
from web.loading import load_query
from web.openapi import doc


@bp.get("/chat/stats")
@doc(summary="Chat statistics (rollups plus today live)", tags=("analytics",),
     query=StatsQuerySchema, response=StatsSchema, errors=(403, 404))
@roles("admin", "support")
def chat_stats():
    principal = current_principal()
    query = load_query(StatsQuerySchema())
    if query.get("channel"):
        get_scoped(Channel, query["channel"], principal.company_id, "channel")
    return jsonify(analytics_report.stats(principal.company_id, query.get("first"),
                                          query.get("last"), query.get("channel")))


@bp.get("/metrics")
@doc(summary="ChatMetric items with status and trend", tags=("analytics",),
     query=DaysQuerySchema, response=ChatMetricSchema(many=True), errors=(403,))
@roles("admin", "support")
def chat_metrics():
    query = load_query(DaysQuerySchema())
    return jsonify(analytics_report.metrics(current_principal().company_id, query["days"]))


@bp.get("/analytics/dashboard")
@doc(summary="Series of the dashboard: volume by channel, response times, agents",
     tags=("analytics",), query=DaysQuerySchema, response_schema={"type": "object"},
     errors=(403,))
@roles("admin", "support")
def dashboard():
    query = load_query(DaysQuerySchema())
    return jsonify(analytics_report.dashboard(current_principal().company_id, query["days"]))
