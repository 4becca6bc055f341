"""Business hours: how many seconds of a span fall inside a company's opening hours."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from typing import Any, Mapping, Optional
from zoneinfo import ZoneInfo

# Longest span walked day by day; longer waits are capped (nobody reads a 3-year response time).
MAX_DAYS = 400


def parse_hours(value: Optional[Mapping[str, Any]]) -> Optional[dict[str, Any]]:
    """The usable form of settings.businessHours, or None when unset or malformed.

    Shape: {"timezone": "Europe/Paris", "days": [0..6] with 0 = Monday, "start": "09:00",
    "end": "18:00"}.
    """
    if not value:
        return None
    try:
        tz = ZoneInfo(str(value.get("timezone") or "UTC"))
        start = time.fromisoformat(str(value.get("start") or "09:00"))
        end = time.fromisoformat(str(value.get("end") or "18:00"))
        days = {int(d) for d in value.get("days", [0, 1, 2, 3, 4])}
    except (ValueError, KeyError, TypeError):
        return None
    if end <= start:
        return None
    return {"tz": tz, "start": start, "end": end, "days": days}


def business_seconds(start: datetime, end: datetime, hours: Optional[dict[str, Any]]) -> float:
    """Seconds of [start, end) (naive UTC) inside business hours; plain seconds if `hours` is None."""
    if end <= start:
        return 0.0
    if hours is None:
        return (end - start).total_seconds()
    tz = hours["tz"]
    local_start = start.replace(tzinfo=timezone.utc).astimezone(tz)
    local_end = end.replace(tzinfo=timezone.utc).astimezone(tz)
    total = 0.0
    day = local_start.date()
    for _ in range(MAX_DAYS):
        if day > local_end.date():
            break
        if day.weekday() in hours["days"]:
            # Opening and closing as aware datetimes of that local day (DST-safe).
            opens = datetime.combine(day, hours["start"], tzinfo=tz)
            closes = datetime.combine(day, hours["end"], tzinfo=tz)
            lo, hi = max(opens, local_start), min(closes, local_end)
            if hi > lo:
                # Subtract in UTC: two datetimes of one zone subtract as wall clocks.
                total += (hi.astimezone(timezone.utc) - lo.astimezone(timezone.utc)).total_seconds()
        day += timedelta(days=1)
    return total
