"""Reading analytics: stats, ChatMetric list and dashboard series from rollups plus today live."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Optional

from hub.models import AnalyticsRollup, Channel, Conversation, User, utcnow

# Relative change under which a metric's trend reads "stable".
TREND_THRESHOLD = 0.05
# Minutes of first response time up to which the metric is "success", then "warning".
FIRST_RESPONSE_OK, FIRST_RESPONSE_WARN = 5, 15
# Resolution rate (%) from which the metric is "success", then "warning".
RESOLUTION_OK, RESOLUTION_WARN = 80, 50


def _today() -> date:
    return utcnow().date()


def rows(company_id: str, first: date, last: date) -> list[dict[str, Any]]:
    """Rollup rows of [first, last]; today (if in range) computed live, not read."""
    from hub.analytics import FIELDS, compute_day, rollup_rows

    today = _today()
    stored = (AnalyticsRollup.select()
              .where(AnalyticsRollup.company == company_id, AnalyticsRollup.day >= first,
                     AnalyticsRollup.day <= min(last, today - timedelta(days=1))).dicts())
    result = [{k: r[k] for k in ("day", "channel_key", "agent_key", *FIELDS)} for r in stored]
    if first <= today <= last:
        for r in rollup_rows(today, compute_day(company_id, today)):
            result.append({k: r[k] for k in ("day", "channel_key", "agent_key", *FIELDS)})
    return result


def _sum(selected: list[dict[str, Any]]) -> dict[str, float]:
    from hub.analytics import FIELDS

    total = dict.fromkeys(FIELDS, 0.0)
    for r in selected:
        for name in FIELDS:
            total[name] += r[name] or 0
    return total


def _minutes(seconds: float, count: float) -> float:
    return round(seconds / count / 60, 2) if count else 0.0


def summary(company_id: str, first: date, last: date, channel: Optional[str] = None,
            agent: str = "") -> dict[str, float]:
    """Summed counters of a period for all (or one channel / agent)."""
    return _sum([r for r in rows(company_id, first, last)
                 if r["channel_key"] == (channel or "") and r["agent_key"] == agent])


def stats(company_id: str, first: Optional[date] = None, last: Optional[date] = None,
          channel: Optional[str] = None) -> dict[str, Any]:
    """`GET /api/chat/stats`: sessions opened in the period (default 30 days), live active ones."""
    last = last or _today()
    first = first or last - timedelta(days=29)
    t = summary(company_id, first, last, channel)
    active = Conversation.select().where(Conversation.company == company_id,
                                         Conversation.status == "active")
    if channel:
        active = active.where(Conversation.channel == channel)
    return {
        "totalSessions": int(t["conversations_opened"]),
        "activeSessions": active.count(),
        "averageResponseTime": _minutes(t["response_seconds"], t["response_count"]),
        "messagesExchanged": int(t["messages_in"] + t["messages_out"]),
    }


def _trend(value: float, previous: float) -> str:
    if previous == value or (previous == 0 and value == 0):
        return "stable"
    if previous and abs(value - previous) / abs(previous) < TREND_THRESHOLD:
        return "stable"
    return "up" if value > previous else "down"


def _figures(t: dict[str, float]) -> dict[str, float]:
    opened = t["conversations_opened"]
    return {
        "conversations": opened,
        "messages": t["messages_in"] + t["messages_out"],
        "first_response_time": _minutes(t["first_response_seconds"], t["first_response_count"]),
        "average_response_time": _minutes(t["response_seconds"], t["response_count"]),
        "resolution_time": _minutes(t["resolution_seconds"], t["resolved_count"]),
        "resolution_rate": round(100 * t["resolved_count"] / opened, 1) if opened else 0.0,
        "reopened": t["reopened_count"],
    }


def _status(metric: str, value: float) -> str:
    if metric == "first_response_time":
        return ("success" if value <= FIRST_RESPONSE_OK
                else "warning" if value <= FIRST_RESPONSE_WARN else "error")
    if metric == "resolution_rate":
        return ("success" if value >= RESOLUTION_OK
                else "warning" if value >= RESOLUTION_WARN else "error")
    if metric == "reopened":
        return "success" if value == 0 else "warning"
    return "info"


NAMES = {
    "conversations": "Conversations opened",
    "messages": "Messages exchanged",
    "first_response_time": "First response time (min)",
    "average_response_time": "Average response time (min)",
    "resolution_time": "Resolution time (min)",
    "resolution_rate": "Resolution rate (%)",
    "reopened": "Reopened conversations",
}


def metrics(company_id: str, days: int = 7) -> list[dict[str, Any]]:
    """`GET /api/metrics`: ChatMetric items over the last `days`, trend against the days before."""
    last = _today()
    first = last - timedelta(days=days - 1)
    current = _figures(summary(company_id, first, last))
    previous = _figures(summary(company_id, first - timedelta(days=days),
                                first - timedelta(days=1)))
    return [{"id": key, "name": NAMES[key], "value": value, "status": _status(key, value),
             "trend": _trend(value, previous[key])} for key, value in current.items()]


def dashboard(company_id: str, days: int = 14) -> dict[str, Any]:
    """Series of the dashboard page: volume by channel, response times per day, agent table."""
    last = _today()
    first = last - timedelta(days=days - 1)
    data = rows(company_id, first, last)
    channels = {c.id: c.name for c in Channel.select(Channel.id, Channel.name)
                .where(Channel.company == company_id)}
    volume, times = [], []
    for i in range(days):
        day = first + timedelta(days=i)
        of_day = [r for r in data if r["day"] == day]
        volume.append({"day": day.isoformat(), "byChannel": {
            channels.get(r["channel_key"], r["channel_key"]): int(r["messages_in"] + r["messages_out"])
            for r in of_day if r["channel_key"] and not r["agent_key"]}})
        t = _sum([r for r in of_day if not r["channel_key"] and not r["agent_key"]])
        times.append({"day": day.isoformat(),
                      "firstResponse": _minutes(t["first_response_seconds"], t["first_response_count"]),
                      "average": _minutes(t["response_seconds"], t["response_count"])})
    agent_ids = {r["agent_key"] for r in data if r["agent_key"]}
    names = {u.id: u.name for u in User.select(User.id, User.name).where(User.id.in_(agent_ids))}
    agents = []
    for agent in sorted(agent_ids, key=lambda a: names.get(a, a)):
        t = _sum([r for r in data if r["agent_key"] == agent and not r["channel_key"]])
        agents.append({"agentId": agent, "name": names.get(agent, "(deleted user)"),
                       "conversations": int(t["conversations_opened"]),
                       "messagesOut": int(t["messages_out"]), "resolved": int(t["resolved_count"]),
                       "firstResponse": _minutes(t["first_response_seconds"], t["first_response_count"]),
                       "averageResponse": _minutes(t["response_seconds"], t["response_count"])})
    return {"from": first.isoformat(), "to": last.isoformat(), "volume": volume,
            "responseTimes": times, "agents": agents}
