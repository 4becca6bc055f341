"""A lived-in inbox for screenshots and layout tests, written through the hub's services."""
from __future__ import annotations

import io
from datetime import timedelta

from PIL import Image, ImageDraw

from hub import db as hubdb
from hub.attachments import store_file
from hub.contacts import upsert_contact
from hub.conversations import ensure_open_conversation
from hub.crypto import encrypt_json
from hub.db import transaction
from hub.events import ContactProfile
from hub.models import Attachment, CannedResponse, Channel, ClientNote, Conversation, Quote, utcnow
from hub.messages import insert_message, touch_conversation


def _image() -> bytes:
    img = Image.new("RGB", (480, 320), (226, 232, 240))
    draw = ImageDraw.Draw(img)
    draw.rectangle((40, 60, 440, 260), fill=(37, 99, 235))
    draw.ellipse((180, 110, 300, 230), fill=(250, 204, 21))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def _channel(tenant, kind: str, name: str) -> Channel:
    return Channel.create(company=tenant.company, kind=kind, name=name,
                          credentials_encrypted=encrypt_json({}), settings={})


def seed_inbox(tenant, agent_name: str = "Sam Agent") -> dict[str, str]:
    """Conversations on four channels with every kind of message; name -> conversation id."""
    ids: dict[str, str] = {}
    now = utcnow()
    with hubdb.db.connection_context(), transaction():
        telegram = _channel(tenant, "telegram", "Telegram bot")
        instagram = _channel(tenant, "instagram", "Instagram shop")
        messenger = _channel(tenant, "messenger", "Facebook page")
        CannedResponse.create(company=tenant.company, shortcut="hours", title="Opening hours",
                              content="We are open Monday to Friday, 9:00 to 18:00.")
        threads = [
            (telegram, "Marie Curie", "tg-100", [
                ("in", "customer", "Hi! The invoice for March shows the wrong VAT number.", 50),
                ("out", "agent", "Thanks Marie, let me check that with accounting.", 48),
                ("in", "customer", "Here is a photo of the printed invoice.", 47),
                ("out", "note", "Accounting confirmed: reissue with FR-22 prefix.", 40),
                ("out", "agent", "We will send a corrected invoice today.", 30),
            ]),
            (instagram, "Katherine Johnson", "ig-200", [
                ("in", "customer", "Do you ship to Canada? 🇨🇦", 200),
                ("out", "bot", "Yes! We ship worldwide. An agent will confirm the cost.", 199),
            ]),
            (messenger, "Tim Berners-Lee", "fb-300", [
                ("in", "customer", "Is the blue model back in stock?", 600),
            ]),
        ]
        for channel, name, external, messages in threads:
            contact = upsert_contact(tenant.company.id, channel.id,
                                     ContactProfile(external_id=external, name=name,
                                                    username=name.split()[0].lower()))
            conv, _ = ensure_open_conversation(tenant.company.id, channel.id, contact.id)
            ids[name] = conv.id
            for direction, kind, text, minutes in messages:
                sender = "agent" if kind == "note" else kind
                fields = dict(company=tenant.company.id, conversation=conv.id, channel=channel.id,
                              direction=direction, sender_type=sender, content=text,
                              is_private=kind == "note",
                              timestamp=now - timedelta(minutes=minutes),
                              status="received" if direction == "in" else "read")
                if sender == "agent":
                    fields.update(sender_user=tenant.admin.id, sender_name=tenant.admin.name)
                message, _ = insert_message(**fields)
                if "photo" in text:
                    att = store_file(tenant.company.id, _image(), "invoice.png")
                    Attachment.update(message=message.id).where(Attachment.id == att.id).execute()
                touch_conversation(conv.id, message)
        marie = Conversation.get_by_id(ids["Marie Curie"])
        Conversation.update(tags=["billing", "vip"], assignee=tenant.admin.id,
                            unread_count=0).where(Conversation.id == marie.id).execute()
        ClientNote.create(company=tenant.company, contact=marie.contact_id, author=tenant.admin,
                          content="Prefers Telegram. Key account since 2021.")
        Quote.create(company=tenant.company, contact=marie.contact_id, author=tenant.admin,
                     title="Annual plan, 25 seats", amount=4800, currency="EUR", status="sent")
    return ids
