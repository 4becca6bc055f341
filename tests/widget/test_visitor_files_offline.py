"""A visitor's file through the whole pipeline, and the offline message when no agent is online."""
from __future__ import annotations

import dataclasses
import io

import pytest
from PIL import Image

from hub import db as hubdb
from hub.models import Attachment, Conversation, Message, User
from tests.widget.helpers import SITE, ready_widget, start



def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (37, 99, 235)).save(out, "PNG")
    return out.getvalue()


def _set_status(user_id: str, status: str) -> None:
    with hubdb.db.connection_context():
        User.update(status=status).where(User.id == user_id).execute()


@pytest.fixture
def hub_at_live_server(live_server, monkeypatch):
    """The hub's public URL is the live server: the worker fetches staged files from it."""
    from hub import settings as hub_settings

    monkeypatch.setattr(hub_settings, "_current",
                        dataclasses.replace(hub_settings.get_settings(), public_url=live_server.url))
    return live_server


def test_visitor_attachment_is_stored_and_reaches_the_agent(client, tenant, worker,
                                                            hub_at_live_server):
    """Upload (staged) -> message event -> worker stores it with a copy of the file -> agent API."""
    widget = ready_widget(client, tenant)
    token = start(client, widget).get_json()["token"]
    visitor = {"Origin": SITE, "X-Widget-Token": token}
    picture = _png()
    up = client.post(widget.api("attachments"), headers=visitor, content_type="multipart/form-data",
                     data={"file": (io.BytesIO(picture), "photo of the chair.png")})
    assert up.status_code == 201, up.get_json()
    uploaded = up.get_json()
    assert (uploaded["kind"], uploaded["type"], uploaded["size"]) == ("image", "image/png",
                                                                      len(picture))
    sent = client.post(widget.api("messages"), headers=visitor, json={
        "clientMessageId": "with-file", "text": "This one is broken",
        "attachmentIds": [uploaded["id"]]})
    assert sent.status_code == 202, sent.get_json()
    worker.drain()

    with hubdb.db.connection_context():
        conversation = Conversation.get(Conversation.channel == widget.channel_id)
        message = Message.get(Message.conversation == conversation.id)
        [stored] = list(Attachment.select().where(Attachment.message == message.id))
        assert (stored.status, stored.company_id, stored.name) == (
            "ready", tenant.company.id, "photo of the chair.png")
    thread = client.get(f"/api/chat/sessions/{conversation.id}/messages",
                        headers=tenant.headers).get_json()
    items = thread["messages"] if isinstance(thread, dict) else thread
    [shown] = [m for m in items if m["id"] == message.id]
    assert shown["content"] == "This one is broken"
    [attachment] = shown["attachments"]
    assert attachment["id"] == stored.id and attachment["type"] == "image/png"
    assert attachment["name"] == "photo of the chair.png" and attachment["size"] == len(picture)
    assert attachment["metadata"] == {"width": 64, "height": 48}
    download = client.get(attachment["url"], headers=tenant.headers)
    assert download.status_code == 200 and download.data == picture
    assert client.get(attachment["url"]).status_code == 401  # not without the agent's token
    # The visitor sees their own file in their thread, behind a signed link.
    own = client.get(widget.api("messages"), headers=visitor).get_json()["messages"]
    [file_link] = own[0]["attachments"]
    assert client.get(file_link["url"]).data == picture


def test_attachment_refused_when_the_company_disables_file_sharing(client, tenant):
    client.put(f"/api/companies/{tenant.company.id}/settings",
               json={"chat": {"fileSharing": False}}, headers=tenant.headers)
    widget = ready_widget(client, tenant)
    token = start(client, widget).get_json()["token"]
    assert client.get(widget.api("config"), headers={"Origin": SITE}).get_json()[
        "fileSharing"] is False
    up = client.post(widget.api("attachments"), headers={"Origin": SITE, "X-Widget-Token": token},
                     content_type="multipart/form-data",
                     data={"file": (io.BytesIO(_png()), "a.png")})
    assert up.status_code == 403 and up.get_json()["error"]["code"] == "file_sharing_disabled"
    with hubdb.db.connection_context():
        assert Attachment.select().count() == 0


def test_config_shows_the_offline_message_when_no_agent_is_online(client, tenant):
    widget = ready_widget(client, tenant, settings={"offlineMessage": "Back at 9:00, write us!"})
    _set_status(tenant.admin.id, "offline")
    config = client.get(widget.api("config"), headers={"Origin": SITE}).get_json()
    assert config["online"] is False and config["offlineMessage"] == "Back at 9:00, write us!"
    # Away is not online; an inactive or end-user account does not count either.
    _set_status(tenant.admin.id, "away")
    customer, _ = tenant.add_user("user")
    _set_status(customer.id, "online")
    assert client.get(widget.api("config"), headers={"Origin": SITE}).get_json()["online"] is False
    _set_status(tenant.admin.id, "online")
    config = client.get(widget.api("config"), headers={"Origin": SITE}).get_json()
    assert config["online"] is True and config["offlineMessage"] is None


def test_agents_of_another_company_do_not_make_a_widget_online(client, tenant, other_tenant):
    widget = ready_widget(client, tenant)
    _set_status(tenant.admin.id, "offline")
    _set_status(other_tenant.admin.id, "online")
    assert client.get(widget.api("config"), headers={"Origin": SITE}).get_json()["online"] is False


def test_offline_widget_still_accepts_messages(client, tenant, worker):
    widget = ready_widget(client, tenant)
    _set_status(tenant.admin.id, "offline")
    token = start(client, widget).get_json()["token"]
    sent = client.post(widget.api("messages"), json={"clientMessageId": "off-1",
                                                     "text": "Call me back tomorrow"},
                       headers={"Origin": SITE, "X-Widget-Token": token})
    assert sent.status_code == 202
    worker.drain()
    with hubdb.db.connection_context():
        assert [m.content for m in Message.select()] == ["Call me back tomorrow"]
