"""Helpers of the CRM API tests: contacts on a real channel, realtime events, shape checks."""
from __future__ import annotations

import json
from typing import Any

import marshmallow

from hub import db as hubdb
from hub.contacts import upsert_contact
from hub.events import ContactProfile
from hub.models import Channel, Contact
from hub.realtime import history_key
from hub.redis_client import get_redis


def error_of(response) -> str:
    body = response.get_json()
    assert body["success"] is False, body
    assert set(body["error"]) >= {"code", "message"}
    return body["error"]["code"]


def make_channel(tenant, kind: str = "whatsapp", name: str = "Support line") -> Channel:
    with hubdb.db.connection_context():
        return Channel.create(company=tenant.company, kind=kind, name=name)


def make_contact(tenant, channel: Channel | None = None, *, external_id: str = "33612345678",
                 name: str = "Jane Prospect", phone: str | None = "+33612345678",
                 username: str | None = None) -> Contact:
    """A prospect as inbound traffic creates it: a contact with one channel identity."""
    channel = channel or make_channel(tenant)
    with hubdb.db.connection_context():
        return upsert_contact(tenant.company.id, channel.id, ContactProfile(
            external_id=external_id, name=name, phone=phone, username=username))


def events_of(company_id: str, type: str) -> list[dict[str, Any]]:
    """Realtime events of this type in the company's history stream, oldest first."""
    entries = get_redis().xrange(history_key(company_id))
    events = [json.loads(fields[b"event"] if b"event" in fields else fields["event"])
              for _, fields in entries]
    return [e for e in events if e["type"] == type]


def assert_shape(schema: marshmallow.Schema, body: Any) -> Any:
    """The body matches the documented schema exactly (no missing, extra or mistyped key)."""
    try:
        return schema.load(body)
    except marshmallow.ValidationError as exc:
        raise AssertionError(f"response does not match {type(schema).__name__}: "
                             f"{exc.normalized_messages()}") from None
