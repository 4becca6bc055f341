"""Widgets ready for visitors: created through the API, with a domain marked verified."""
from __future__ import annotations

from dataclasses import dataclass

from hub import db as hubdb
from hub.models import AuthorizedDomain, utcnow

SITE = "https://shop.example.com"


@dataclass
class ReadyWidget:
    id: str
    channel_id: str
    secret: str

    def api(self, path: str) -> str:
        return f"/widget/api/{self.id}/{path}"


def ready_widget(client, tenant, domain: str = "shop.example.com", **body) -> ReadyWidget:
    body.setdefault("preChatFields", [
        {"key": "name", "label": "Name", "type": "name", "required": True},
        {"key": "email", "label": "Email", "type": "email", "required": True},
        {"key": "phone", "label": "Phone", "type": "phone"},
        {"key": "order", "label": "Order number", "type": "text"}])
    w = client.post("/api/widgets", json={"name": "Shop", **body}, headers=tenant.headers).get_json()
    d = client.post(f"/api/widgets/{w['id']}/domains", json={"domain": domain},
                    headers=tenant.headers).get_json()
    with hubdb.db.connection_context():
        AuthorizedDomain.update(verified=True, method="dns", verified_at=utcnow()).where(
            AuthorizedDomain.id == d["id"]).execute()
    return ReadyWidget(w["id"], w["channelId"], w["secret"])


def start(client, widget: ReadyWidget, origin: str = SITE, **body):
    body.setdefault("form", {"name": "Camille", "email": "camille@example.org"})
    return client.post(widget.api("session"), json=body, headers={"Origin": origin})
