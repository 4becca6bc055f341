"""WhatsApp Cloud API webhook payloads -> normalized events.

A body batches entries, changes, messages and statuses; every one of them is walked. Each
message type is a small function in MESSAGE_PARSERS, so a new type is one more row.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

from connectors.meta import from_epoch
from hub.events import (ContactProfile, Ignored, InboundMessage, MediaRef, NormalizedEvent,
                        Reaction, StatusUpdate)

# Message types that carry one media object under the key of the same name.
MEDIA_TYPES = ("image", "video", "audio", "document", "sticker")
# Delivery statuses we map; others ("deleted", "warning") are stored as ignored.
KNOWN_STATUSES = ("sent", "delivered", "read", "failed")
# The `object` of every WhatsApp Business webhook body.
WHATSAPP_OBJECT = "whatsapp_business_account"

Fields = dict[str, Any]  # InboundMessage keyword arguments a type parser fills in


def _media(message: dict[str, Any]) -> Fields:
    kind = message["type"]
    item = message.get(kind) or {}
    if kind == "audio" and item.get("voice"):
        kind = "voice"  # push-to-talk notes show as voice, not as an audio file
    ref = MediaRef(kind=kind, provider_media_id=item.get("id"), mime_type=item.get("mime_type"),
                   filename=item.get("filename"), sha256=item.get("sha256"))
    return {"message_type": kind, "media": [ref], "text": item.get("caption")}


def _text(message: dict[str, Any]) -> Fields:
    return {"message_type": "text", "text": (message.get("text") or {}).get("body")}


def _location(message: dict[str, Any]) -> Fields:
    loc = message.get("location") or {}
    payload = {"lat": loc.get("latitude"), "lng": loc.get("longitude"),
               "name": loc.get("name"), "address": loc.get("address")}
    return {"message_type": "location", "payload": payload, "text": loc.get("name")}


def _contacts(message: dict[str, Any]) -> Fields:
    return {"message_type": "contacts", "payload": {"contacts": message.get("contacts") or []}}


def _interactive(message: dict[str, Any]) -> Optional[Fields]:
    inter = message.get("interactive") or {}
    reply = inter.get(inter.get("type") or "")
    if inter.get("type") not in ("button_reply", "list_reply") or not isinstance(reply, dict):
        return None
    payload = {"reply_type": inter["type"], "id": reply.get("id"), "title": reply.get("title")}
    if reply.get("description"):
        payload["description"] = reply["description"]
    return {"message_type": "interactive", "text": reply.get("title"), "payload": payload}


def _button(message: dict[str, Any]) -> Fields:
    button = message.get("button") or {}
    return {"message_type": "button", "text": button.get("text"),
            "payload": {"payload": button.get("payload"), "text": button.get("text")}}


def _system(message: dict[str, Any]) -> Fields:
    system = message.get("system") or {}
    payload = {"system_type": system.get("type"),
               "new_wa_id": system.get("new_wa_id") or system.get("wa_id")}
    return {"message_type": "system", "text": system.get("body"), "payload": payload}


def _unsupported(message: dict[str, Any]) -> Fields:
    return {"message_type": "unsupported", "payload": {"error": _error_of(message)}}


MESSAGE_PARSERS: dict[str, Callable[[dict[str, Any]], Optional[Fields]]] = {
    "text": _text, "location": _location, "contacts": _contacts, "interactive": _interactive,
    "button": _button, "system": _system, "unsupported": _unsupported,
    **{kind: _media for kind in MEDIA_TYPES},
}


def _error_of(item: dict[str, Any]) -> Optional[dict[str, Any]]:
    """The first entry of `errors[]` as {code, title, message, details}."""
    errors = item.get("errors") or []
    if not errors:
        return None
    first = errors[0]
    return {"code": first.get("code"), "title": first.get("title"),
            "message": first.get("message"),
            "details": (first.get("error_data") or {}).get("details")}


def parse_message(message: dict[str, Any], names: dict[str, Optional[str]]) -> NormalizedEvent:
    """One entry of `value.messages`."""
    wa_id = str(message.get("from", ""))
    contact = ContactProfile(external_id=wa_id, name=names.get(wa_id), phone=f"+{wa_id}")
    timestamp = from_epoch(message.get("timestamp", 0))
    kind = message.get("type", "")
    if kind == "reaction":
        reaction = message.get("reaction") or {}
        return Reaction(target_provider_message_id=reaction.get("message_id", ""),
                        contact=contact, timestamp=timestamp,
                        emoji=reaction.get("emoji") or None)  # "" means removed
    parser = MESSAGE_PARSERS.get(kind)
    fields = parser(message) if parser else None
    if fields is None:
        return Ignored(event_type=f"messages.{kind or 'unknown'}", reason="unknown message type")
    if message.get("referral"):  # click-to-WhatsApp ad that opened the chat
        fields.setdefault("payload", {})["referral"] = message["referral"]
    context = message.get("context") or {}
    return InboundMessage(provider_message_id=message["id"], contact=contact,
                          timestamp=timestamp, reply_to_provider_id=context.get("id"), **fields)


def parse_status(status: dict[str, Any]) -> NormalizedEvent:
    """One entry of `value.statuses`."""
    if status.get("status") not in KNOWN_STATUSES:
        return Ignored(event_type=f"statuses.{status.get('status')}", reason="unknown status")
    error = _error_of(status) or {}
    reason_parts = [p for p in (error.get("title"), error.get("details") or error.get("message"))
                    if p]
    return StatusUpdate(provider_message_id=status["id"], status=status["status"],
                        timestamp=from_epoch(status.get("timestamp", 0)),
                        recipient_id=status.get("recipient_id"),
                        error_code=str(error["code"]) if error.get("code") is not None else None,
                        error_reason=": ".join(dict.fromkeys(reason_parts)) or None)


def parse(payload: Any) -> list[NormalizedEvent]:
    """Every message and status of every change of every entry, in payload order."""
    if not isinstance(payload, dict):
        return [Ignored(event_type="invalid", reason="payload is not an object")]
    if payload.get("object", WHATSAPP_OBJECT) != WHATSAPP_OBJECT:
        return [Ignored(event_type=str(payload["object"]), reason="not a WhatsApp payload")]
    events: list[NormalizedEvent] = []
    for entry in payload.get("entry") or []:
        for change in entry.get("changes") or []:
            field, value = change.get("field"), change.get("value") or {}
            if field != "messages":
                events.append(Ignored(event_type=str(field), reason="field not handled"))
                continue
            names = {str(c.get("wa_id")): (c.get("profile") or {}).get("name")
                     for c in value.get("contacts") or []}
            found = [parse_message(m, names) for m in value.get("messages") or []]
            found += [parse_status(s) for s in value.get("statuses") or []]
            events.extend(found or [Ignored(event_type="messages.empty", reason="no items")])
    return events
