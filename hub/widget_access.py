"""Where a widget may run: origins from its verified domains, refusals counted, daily stats."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, Optional
from urllib.parse import urlsplit

import peewee

from hub.errors import Forbidden, NotFound
from hub.models import AuthorizedDomain, Conversation, Message, Widget, WidgetStat, new_id, utcnow

# Host names a widget with `allow_localhost` accepts on any port, for development.
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")
STAT_FIELDS = ("loads", "conversations", "messages", "refused")


def public_widget(widget_id: str) -> Widget:
    """A widget by its public id (the embed snippet carries it), or 404."""
    if not widget_id or len(widget_id) > 64:
        raise NotFound("widget not found", code="widget_not_found")
    widget = Widget.get_or_none(Widget.id == widget_id)
    if widget is None:
        raise NotFound("widget not found", code="widget_not_found")
    return widget


def verified_domains(widget: Widget) -> list[str]:
    return [d.domain for d in AuthorizedDomain.select(AuthorizedDomain.domain).where(
        (AuthorizedDomain.widget == widget.id) & (AuthorizedDomain.verified == True))]  # noqa: E712


def split_origin(origin: Optional[str]) -> Optional[tuple[str, str, Optional[int]]]:
    """(scheme, host, port or None for the scheme's default) of an Origin header value."""
    if not origin or origin == "null" or len(origin) > 300:
        return None
    parts = urlsplit(origin.strip().lower())
    try:
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        return None
    default = {"http": 80, "https": 443}[parts.scheme]
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return parts.scheme, host, None if port in (None, default) else port


def origin_allowed(widget: Widget, origin: Optional[str],
                   domains: Optional[list[str]] = None) -> bool:
    """True if `origin` is a verified domain of the widget (or local, when allowed)."""
    parsed = split_origin(origin)
    if parsed is None:
        return False
    _, host, port = parsed
    if widget.allow_localhost and host in LOCAL_HOSTS:
        return True
    for domain in verified_domains(widget) if domains is None else domains:
        d_host, _, d_port = domain.partition(":")
        if d_host == host and (int(d_port) if d_port else None) == port:
            return True
    return False


def frame_ancestors(widget: Widget) -> str:
    """The CSP `frame-ancestors` sources: the verified domains (http and https), local if allowed."""
    sources = []
    for domain in verified_domains(widget):
        sources += [f"https://{domain}", f"http://{domain}"]
    if widget.allow_localhost:
        sources += [f"http://{h}:*" for h in LOCAL_HOSTS] + [f"http://{h}" for h in LOCAL_HOSTS]
    return " ".join(sources) if sources else "'none'"


def bump(widget: Widget, field: str, amount: int = 1) -> None:
    """Add to today's counter of a widget (insert or update in one statement)."""
    column = getattr(WidgetStat, field)
    (WidgetStat.insert(id=new_id(), company=widget.company_id, widget=widget.id,
                       day=utcnow().date(), **{field: amount})
     .on_conflict(conflict_target=[WidgetStat.widget, WidgetStat.day],
                  update={column: column + amount}).execute())


def refuse(widget: Widget, origin: Optional[str], reason: str = "origin") -> Forbidden:
    """Count a refused attempt and return the 403 to raise."""
    Widget.update(refused_count=Widget.refused_count + 1).where(Widget.id == widget.id).execute()
    bump(widget, "refused")
    shown = (origin or "no origin")[:200]
    return Forbidden(f"this widget is not authorized on {shown}; add and verify the domain in "
                     "the widget's settings", code="origin_not_allowed",
                     details={"origin": origin, "reason": reason})


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def refresh_counts(widget: Widget, start: date, end: date) -> None:
    """Recount conversations and messages per day from the stored rows (idempotent)."""
    if not widget.channel_id:
        return
    lo = datetime.combine(start, time())
    hi = datetime.combine(end + timedelta(days=1), time())
    counted: dict[date, dict[str, int]] = {}
    for field, model, column in (("conversations", Conversation, Conversation.started_at),
                                 ("messages", Message, Message.timestamp)):
        day = peewee.fn.DATE(column)
        query = (model.select(day.alias("d"), peewee.fn.COUNT(model.id).alias("n"))
                 .where((model.channel == widget.channel_id) & (column >= lo) & (column < hi)))
        if model is Message:  # agents' internal notes are not messages of the widget
            query = query.where(Message.is_private == False)  # noqa: E712
        query = query.group_by(day).tuples()
        for d, n in query:
            counted.setdefault(_day(d), {})[field] = n
    for d, values in counted.items():
        (WidgetStat.insert(id=new_id(), company=widget.company_id, widget=widget.id, day=d,
                           **values)
         .on_conflict(conflict_target=[WidgetStat.widget, WidgetStat.day], update=values)
         .execute())


def stats(widget: Widget, start: date, end: date) -> dict[str, Any]:
    """Per-day loads, conversations, messages and refusals between two dates, and totals."""
    refresh_counts(widget, start, end)
    rows = {s.day if isinstance(s.day, date) else _day(s.day): s for s in WidgetStat.select().where(
        (WidgetStat.widget == widget.id) & (WidgetStat.day >= start) & (WidgetStat.day <= end))}
    days, totals = [], {f: 0 for f in STAT_FIELDS}
    current = start
    while current <= end:
        row = rows.get(current)
        values = {f: getattr(row, f) if row else 0 for f in STAT_FIELDS}
        for f in STAT_FIELDS:
            totals[f] += values[f]
        days.append({"day": current.isoformat(), **values})
        current += timedelta(days=1)
    return {"widgetId": widget.id, "from": start.isoformat(), "to": end.isoformat(),
            "days": days, "totals": totals, "refusedTotal": widget.refused_count}
