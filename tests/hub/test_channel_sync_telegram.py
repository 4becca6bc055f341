"""Telegram profile refresh (getChat) against the provider emulator."""
from __future__ import annotations

import pytest
import requests

from connectors.emulators import EmulatorServer
from hub import channel_sync
from hub import db as hubdb
from hub.crypto import encrypt_json
from hub.models import Contact, ContactIdentity
from tests.hub.builders import channel

TOKEN = "123456:ABC-profile"


@pytest.fixture
def emulator():
    with EmulatorServer() as server:
        yield server


def _identity(company, ch, external_id: str, name: str, contact_name: str) -> ContactIdentity:
    with hubdb.db.connection_context():
        who = Contact.create(company=company, name=contact_name)
        return ContactIdentity.create(company=company, contact=who, channel=ch,
                                      external_id=external_id, display_name=name)


def _get_chats(emulator) -> list[str]:
    return [r["path"] for r in emulator.state.received_by("telegram") if "getChat" in r["path"]]


def test_telegram_sync_refreshes_private_chat_profiles_once_a_week(tenant, emulator):
    ch = channel(tenant.company, "telegram", credentials_encrypted=encrypt_json(
        {"botToken": TOKEN}), settings={"apiBaseUrl": emulator.url})
    # Given a renamed user, a contact an agent renamed, an unknown chat and a group
    emulator.state.set_telegram_chat({"id": 777001, "first_name": "Ana", "last_name": "Silva",
                                      "username": "anasilva"})
    emulator.state.set_telegram_chat({"id": 777002, "first_name": "Bruno", "username": "bru"})
    renamed = _identity(tenant.company, ch, "777001", "Ana", "Ana")
    typed = _identity(tenant.company, ch, "777002", "Bruno", "Bruno (VIP customer)")
    group = _identity(tenant.company, ch, "-100555", "Group", "Group")
    # When the channel syncs, twice
    with hubdb.db.connection_context():
        first = channel_sync.sync_channel(ch.id)
        second = channel_sync.sync_channel(ch.id)
        rows = {i.external_id: i for i in ContactIdentity.select()}
        names = {c.id: c.name for c in Contact.select()}
    # Then the private chats were asked once each, the group never
    assert first["profiles"] == 2 and second["profiles"] == 0
    assert len(_get_chats(emulator)) == 2
    assert rows["777001"].display_name == "Ana Silva" and rows["777001"].username == "anasilva"
    assert names[renamed.contact_id] == "Ana Silva"  # the provider's name followed
    assert rows["777002"].username == "bru"
    assert names[typed.contact_id] == "Bruno (VIP customer)"  # the agent's name kept
    assert rows["-100555"].profile == {} and names[group.contact_id] == "Group"
    assert rows["777001"].profile["refreshedAt"] and rows["777001"].profile["error"] is None


def test_a_blocked_bot_is_noted_per_contact_not_fatal(tenant, emulator):
    ch = channel(tenant.company, "telegram", credentials_encrypted=encrypt_json(
        {"botToken": TOKEN}), settings={"apiBaseUrl": emulator.url})
    # Given the first contact blocked the bot (getChat answers 403 once)
    requests.post(f"{emulator.url}/_emulator/faults", json={"faults": [
        {"type": "error_code", "code": 403, "provider": "telegram", "match": "getChat",
         "next": 1}]}).raise_for_status()
    _identity(tenant.company, ch, "41", "Blocked", "Blocked")
    _identity(tenant.company, ch, "42", "Someone", "Someone")
    with hubdb.db.connection_context():
        result = channel_sync.sync_channel(ch.id)
        rows = {i.external_id: i for i in ContactIdentity.select()}
    # Then the sync goes on: the error is kept on that identity, the next one refreshed
    assert result["profiles"] == 2
    assert "403" in rows["41"].profile["error"] and rows["41"].display_name == "Blocked"
    assert rows["42"].display_name == "Emulated User"  # the emulator's generic private chat
