"""Widget visitors: sessions (pre-chat form, identity verification), their thread, reads, typing."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any, Optional

from connectors.widget.tokens import VisitorClaims, issue_token, read_token, sign_file
from hub import widget_forms
from hub.contacts import upsert_contact
from hub.db import transaction
from hub.errors import Forbidden, Unauthorized
from hub.events import ContactProfile
from hub.messages import advance_status, attachments_by_message
from hub.models import Attachment, Contact, ContactIdentity, Conversation, Message, Widget, utcnow
from hub.presenters import iso
from hub.widgets import user_hash, widget_secret

# Messages a visitor's widget shows of past conversations.
THREAD_LIMIT = 200


@dataclass
class VisitorSession:
    token: str
    visitor_id: str
    contact: Contact
    verified_user_id: Optional[str]


def claims_for(widget: Widget, token: Optional[str]) -> VisitorClaims:
    """The visitor of a request to this widget, or 401."""
    claims = read_token(token)
    if claims is None or claims.widget_id != widget.id or claims.channel_id != widget.channel_id:
        raise Unauthorized("the visitor token is missing, invalid or for another widget",
                           code="invalid_visitor_token")
    return claims


def _verified_user(widget: Widget, user_id: Optional[str], given_hash: Optional[str]) -> Optional[str]:
    if not user_id:
        return None
    expected = user_hash(widget_secret(widget), user_id)
    if not given_hash or not hmac.compare_digest(expected, str(given_hash).lower()):
        raise Forbidden("the user hash does not match the user id", code="identity_invalid")
    return user_id


def start_session(widget: Widget, form: Any, *, user_id: Optional[str] = None,
                  given_hash: Optional[str] = None,
                  previous_token: Optional[str] = None) -> VisitorSession:
    """Check the form, identify the visitor and store what they told us on their contact.

    A verified host user keeps one visitor id per widget (any browser); an anonymous returning
    visitor keeps the id of their previous token; anyone else gets a new id.
    """
    fields = widget.pre_chat_fields or []
    clean = widget_forms.validate_answers(fields, form or {})
    standard, custom = widget_forms.split_answers(fields, clean)
    verified = _verified_user(widget, user_id, given_hash)
    previous = read_token(previous_token)
    if verified:
        visitor_id = "u_" + hashlib.sha256(f"{widget.id}:{verified}".encode()).hexdigest()[:30]
    elif previous and previous.widget_id == widget.id and previous.visitor_id.startswith("v_"):
        visitor_id = previous.visitor_id
    else:
        visitor_id = "v_" + secrets.token_hex(15)
    with transaction():
        contact = upsert_contact(widget.company_id, widget.channel_id, ContactProfile(
            external_id=visitor_id, name=standard.get("name"), phone=standard.get("phone")))
        if verified:
            contact = _link_user(widget, contact, visitor_id, verified)
        changes: dict[str, Any] = {"updated_at": utcnow(), "last_seen": utcnow()}
        if standard.get("email"):
            changes["email"] = standard["email"]
        if standard.get("phone") and not contact.phone:
            changes["phone"] = standard["phone"]
        if custom:
            changes["custom_fields"] = {**(contact.custom_fields or {}), **custom}
        Contact.update(**changes).where(Contact.id == contact.id).execute()
        contact = Contact.get_by_id(contact.id)
    token = issue_token(VisitorClaims(widget.id, widget.channel_id, visitor_id))
    return VisitorSession(token, visitor_id, contact, verified)


def _link_user(widget: Widget, contact: Contact, visitor_id: str, user_id: str) -> Contact:
    """Attach the visitor to the company's contact for this host user (created on first sight)."""
    owner = (Contact.select().where((Contact.company == widget.company_id)
                                    & (Contact.external_user_id == user_id)).first())
    if owner is None:
        Contact.update(external_user_id=user_id).where(Contact.id == contact.id).execute()
        return Contact.get_by_id(contact.id)
    if owner.id != contact.id:
        ContactIdentity.update(contact=owner.id).where(
            (ContactIdentity.channel == widget.channel_id)
            & (ContactIdentity.external_id == visitor_id)).execute()
        if not Conversation.select().where(Conversation.contact == contact.id).exists():
            contact.delete_instance()
    return owner


def visitor_contact(widget: Widget, visitor_id: str) -> Optional[Contact]:
    identity = (ContactIdentity.select().where((ContactIdentity.channel == widget.channel_id)
                                               & (ContactIdentity.external_id == visitor_id))
                .first())
    return Contact.get_by_id(identity.contact_id) if identity else None


def open_conversation(widget: Widget, contact: Contact) -> Optional[Conversation]:
    return (Conversation.select().where((Conversation.channel == widget.channel_id)
                                        & (Conversation.contact == contact.id))
            .order_by((Conversation.status == "active").desc(), Conversation.started_at.desc())
            .first() if contact else None)


def _visitor_messages(widget: Widget, contact: Contact):
    return (Message.select().join(Conversation, on=(Message.conversation == Conversation.id))
            .where((Message.channel == widget.channel_id) & (Conversation.contact == contact.id)
                   & (Message.is_private == False)))  # noqa: E712  (internal notes stay inside)


def file_url(widget_id: str, attachment: Attachment, thumbnail: bool = False) -> str:
    url = f"/widget/api/{widget_id}/files/{attachment.id}?sig={sign_file(attachment.id)}"
    return url + "&thumbnail=1" if thumbnail else url


def visitor_message_dict(widget_id: str, m: Message, attachments: list[Attachment]) -> dict[str, Any]:
    """A message as the visitor's widget shows it: no internal fields, files by signed link."""
    client_id = m.client_message_id
    if not client_id and m.direction == "in" and m.provider_message_id:
        client_id = m.provider_message_id.partition(":")[2] or None
    status = m.status if m.direction == "out" else ("read" if m.seen_by_agent_at else "delivered")
    return {
        "id": m.id, "clientMessageId": client_id, "conversationId": m.conversation_id,
        "from": "visitor" if m.direction == "in" else "agent",
        "senderName": m.sender_name if m.direction == "out" else None,
        "text": "" if m.deleted_at else m.content, "timestamp": iso(m.timestamp),
        "status": status,
        "attachments": [{"id": a.id, "name": a.name, "kind": a.kind, "type": a.content_type,
                         "size": a.size, "url": file_url(widget_id, a),
                         "thumbnailUrl": file_url(widget_id, a, True) if a.thumbnail_path else None}
                        for a in attachments if a.status == "ready"],
    }


def visitor_thread(widget: Widget, visitor_id: str) -> list[dict[str, Any]]:
    contact = visitor_contact(widget, visitor_id)
    if contact is None:
        return []
    rows = list(_visitor_messages(widget, contact)
                .order_by(Message.timestamp.desc(), Message.id.desc()).limit(THREAD_LIMIT))
    rows.reverse()
    files = attachments_by_message(rows)
    return [visitor_message_dict(widget.id, m, files[m.id]) for m in rows]


def visitor_message(widget: Widget, visitor_id: str, message_id: str) -> Optional[dict[str, Any]]:
    """One message of the visitor's conversations (None for any other)."""
    contact = visitor_contact(widget, visitor_id)
    if contact is None:
        return None
    m = _visitor_messages(widget, contact).where(Message.id == message_id).first()
    return visitor_message_dict(widget.id, m, attachments_by_message([m])[m.id]) if m else None


def mark_seen(widget: Widget, visitor_id: str, message_ids: list[str], status: str) -> list[str]:
    """Advance agents' messages the visitor received (`delivered`) or saw (`read`)."""
    contact = visitor_contact(widget, visitor_id)
    if contact is None or not message_ids:
        return []
    advanced = []
    with transaction():
        for m in _visitor_messages(widget, contact).where(
                (Message.id.in_(message_ids[:200])) & (Message.direction == "out")):
            if advance_status(m, status, utcnow()) is not None:
                advanced.append(m.id)
    return advanced
