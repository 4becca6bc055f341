"""Realistic provider bodies built in tests (unique ids, chosen times and media)."""
from __future__ import annotations

import itertools
from typing import Optional

_ids = itertools.count(1)


def wa_message(phone: str = "16315551234", *, text: Optional[str] = "Hello",
               ts: int = 1718031600, name: str = "Jane Doe",
               image_id: Optional[str] = None, wamid: Optional[str] = None) -> dict:
    """A WhatsApp Cloud API `messages` webhook body with one message."""
    wamid = wamid or f"wamid.TEST{next(_ids):08d}{ts}"
    message: dict = {"from": phone, "id": wamid, "timestamp": str(ts)}
    if image_id:
        message.update(type="image", image={"id": image_id, "mime_type": "image/png",
                                            "sha256": "x", "caption": text or ""})
    else:
        message.update(type="text", text={"body": text})
    return {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [
        {"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550001111",
                         "phone_number_id": "106540352242922"},
            "contacts": [{"profile": {"name": name}, "wa_id": phone}],
            "messages": [message]}}]}]}


def wa_status(wamid: str, status: str, *, phone: str = "16315551234",
              ts: int = 1718031700) -> dict:
    return {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [
        {"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550001111",
                         "phone_number_id": "106540352242922"},
            "statuses": [{"id": wamid, "status": status, "timestamp": str(ts),
                          "recipient_id": phone}]}}]}]}


def tg_photo(file_id: str, *, update_id: Optional[int] = None, chat_id: int = 5550001) -> dict:
    n = next(_ids)
    return {"update_id": update_id or 700000000 + n, "message": {
        "message_id": n, "date": 1718000000 + n,
        "from": {"id": chat_id, "is_bot": False, "first_name": "Ana"},
        "chat": {"id": chat_id, "first_name": "Ana", "type": "private"},
        "photo": [{"file_id": file_id, "file_unique_id": "u" + file_id, "width": 4,
                   "height": 4, "file_size": 100}]}}
