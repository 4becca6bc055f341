"""Messages of a session: pages in provider order, sends, uploads, downloads, read, typing."""
import io
import json

import pytest

from hub import db as hubdb
from hub.models import Attachment, Company, Conversation, Delivery, Message
from hub.realtime import history_key
from hub.redis_client import get_redis
from tests.web.chat_data import at, inbound, make_conversation, png_bytes
from tests.web.test_auth import error_of


def new_session(client, tenant):
    return client.post("/api/chat/sessions", json={"subject": "s"},
                       headers=tenant.headers).get_json()["id"]


def company_chat(tenant, **chat):
    with hubdb.db.connection_context():
        Company.update(settings={"chat": chat}).where(Company.id == tenant.company.id).execute()


def test_messages_are_ordered_by_provider_time_not_arrival(client, tenant):
    conversation = make_conversation(tenant.company.id)
    inbound(conversation, "third", at(3))
    inbound(conversation, "first", at(1))
    inbound(conversation, "second", at(2))
    body = client.get(f"/api/chat/sessions/{conversation.id}/messages",
                      headers=tenant.headers).get_json()
    assert [m["content"] for m in body["messages"]] == ["first", "second", "third"]
    assert body["totalCount"] == 3 and body["hasMore"] is False
    assert all(m["sender"] == "user" and m["read"] is False for m in body["messages"])


def test_before_cursor_walks_back_through_the_thread(client, tenant):
    conversation = make_conversation(tenant.company.id)
    for i in range(7):
        inbound(conversation, f"m{i}", at(i))
    url = f"/api/chat/sessions/{conversation.id}/messages"
    page = client.get(f"{url}?limit=3", headers=tenant.headers).get_json()
    assert [m["content"] for m in page["messages"]] == ["m4", "m5", "m6"] and page["hasMore"]
    seen = [m["content"] for m in page["messages"]]
    while page["hasMore"]:
        page = client.get(f"{url}?limit=3&before={page['messages'][0]['id']}",
                          headers=tenant.headers).get_json()
        seen = [m["content"] for m in page["messages"]] + seen
    assert seen == [f"m{i}" for i in range(7)] and page["totalCount"] == 7


@pytest.mark.parametrize("query", ["limit=0", "limit=abc", "limit=1000", "before=" + "e" * 32])
def test_bad_message_queries_are_400(client, tenant, query):
    conversation = make_conversation(tenant.company.id)
    response = client.get(f"/api/chat/sessions/{conversation.id}/messages?{query}",
                          headers=tenant.headers)
    assert response.status_code == 400


def test_send_json_message_on_a_channel_queues_a_delivery(client, tenant):
    conversation = make_conversation(tenant.company.id, kind="telegram")
    response = client.post(f"/api/chat/sessions/{conversation.id}/messages",
                           json={"content": "Hello!", "clientMessageId": "c-1"},
                           headers=tenant.headers)
    assert response.status_code == 201
    message = response.get_json()
    assert message["content"] == "Hello!" and message["sender"] == "support"
    assert message["status"] == "queued" and message["platform"] == "telegram"
    retried = client.post(f"/api/chat/sessions/{conversation.id}/messages",
                          json={"content": "Hello!", "clientMessageId": "c-1"},
                          headers=tenant.headers)
    assert retried.status_code == 201 and retried.get_json()["id"] == message["id"]
    with hubdb.db.connection_context():
        assert Delivery.select().count() == 1 and Message.select().count() == 1


def test_private_note_and_reply_to(client, tenant):
    conversation = make_conversation(tenant.company.id)
    customer = inbound(conversation, "question")
    note = client.post(f"/api/chat/sessions/{conversation.id}/messages",
                       json={"content": "internal", "isPrivate": True, "replyTo": customer.id},
                       headers=tenant.headers).get_json()
    assert note["isPrivate"] is True and note["replyTo"] == customer.id
    assert note["status"] == "sent"  # a note is never delivered to the provider
    other = make_conversation(tenant.company.id, name="Other")
    foreign_reply = inbound(other, "elsewhere")
    bad = client.post(f"/api/chat/sessions/{conversation.id}/messages",
                      json={"content": "x", "replyTo": foreign_reply.id}, headers=tenant.headers)
    assert bad.status_code == 400 and "replyTo" in bad.get_json()["error"]["details"]


def test_send_errors(client, tenant):
    session = new_session(client, tenant)
    url = f"/api/chat/sessions/{session}/messages"
    assert client.post(url, json={"content": 5}, headers=tenant.headers).status_code == 400
    assert client.post(url, data="{", content_type="application/json",
                       headers=tenant.headers).status_code == 400
    empty = client.post(url, json={"content": "  "}, headers=tenant.headers)
    assert empty.status_code == 422 and error_of(empty) == "empty_message"
    client.put(f"/api/chat/sessions/{session}/close", headers=tenant.headers)
    closed = client.post(url, json={"content": "hi"}, headers=tenant.headers)
    assert closed.status_code == 409 and error_of(closed) == "session_closed"


def test_whatsapp_outside_the_window_is_422(client, tenant):
    conversation = make_conversation(tenant.company.id, kind="whatsapp")
    response = client.post(f"/api/chat/sessions/{conversation.id}/messages",
                           json={"content": "late"}, headers=tenant.headers)
    assert response.status_code == 422 and error_of(response) == "template_required"
    template = client.post(f"/api/chat/sessions/{conversation.id}/messages",
                           json={"template": {"name": "follow_up", "language": "en"}},
                           headers=tenant.headers)
    assert template.status_code == 201 and template.get_json()["messageType"] == "template"


def test_upload_sniffs_type_sanitises_name_and_serves_file_and_thumbnail(client, tenant):
    session = new_session(client, tenant)
    image = png_bytes(800, 400)
    response = client.post(
        f"/api/chat/sessions/{session}/messages", headers=tenant.headers,
        content_type="multipart/form-data",
        data={"content": "see picture",
              "attachments[0]": (io.BytesIO(image), "../../etc/passwd", "text/plain")})
    assert response.status_code == 201, response.get_json()
    (attachment,) = response.get_json()["attachments"]
    assert attachment["type"] == "image/png" and attachment["name"] == "passwd"
    assert attachment["metadata"] == {"width": 800, "height": 400}
    assert attachment["size"] == len(image) and attachment["thumbnailUrl"]
    download = client.get(attachment["url"], headers=tenant.headers)
    assert download.status_code == 200 and download.data == image
    assert download.mimetype == "image/png"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"].startswith('attachment; filename="passwd"')
    thumb = client.get(attachment["url"] + "?thumbnail=1", headers=tenant.headers)
    from PIL import Image

    with Image.open(io.BytesIO(thumb.data)) as small:
        assert thumb.mimetype == "image/png" and max(small.size) == 320


def test_download_name_uses_rfc5987_and_text_is_not_an_image(client, tenant):
    session = new_session(client, tenant)
    response = client.post(
        f"/api/chat/sessions/{session}/messages", headers=tenant.headers,
        content_type="multipart/form-data",
        data={"attachments[0]": (io.BytesIO(b"plain words"), 'résumé "v2".png', "image/png")})
    (attachment,) = response.get_json()["attachments"]
    assert attachment["type"] == "text/plain" and attachment["thumbnailUrl"] is None
    download = client.get(attachment["url"], headers=tenant.headers)
    disposition = download.headers["Content-Disposition"]
    assert "filename*=UTF-8''r%C3%A9sum%C3%A9" in disposition and '"v2"' not in disposition
    assert download.mimetype == "text/plain"
    assert client.get(attachment["url"] + "?thumbnail=1",
                      headers=tenant.headers).status_code == 404


def test_upload_limits_leave_nothing_behind(client, tenant, settings):
    session = new_session(client, tenant)
    url = f"/api/chat/sessions/{session}/messages"

    def upload(size):
        return client.post(url, headers=tenant.headers, content_type="multipart/form-data",
                           data={"content": "x", "attachments[0]": (io.BytesIO(b"a" * size),
                                                                    "a.txt")})

    company_chat(tenant, maxFileSize=1000)
    too_big = upload(1001)
    assert too_big.status_code == 413 and error_of(too_big) == "file_too_large"
    assert upload(1000).status_code == 201
    company_chat(tenant, fileSharing=False)
    disabled = upload(10)
    assert disabled.status_code == 403 and error_of(disabled) == "file_sharing_disabled"
    client.put(f"/api/chat/sessions/{session}/close", headers=tenant.headers)
    company_chat(tenant)
    assert upload(10).status_code == 409
    with hubdb.db.connection_context():
        assert Attachment.select().count() == 1 and Message.select().count() == 1
    company_dir = settings.attachments_dir / tenant.company.id
    stored = [p for p in company_dir.rglob("*") if p.is_file()]
    assert len(stored) == 1


def test_attachment_download_errors(client, tenant, other_tenant):
    assert client.get("/api/chat/attachments/" + "a" * 32,
                      headers=tenant.headers).status_code == 404
    session = new_session(client, other_tenant)
    response = client.post(f"/api/chat/sessions/{session}/messages", headers=other_tenant.headers,
                           content_type="multipart/form-data",
                           data={"attachments[0]": (io.BytesIO(png_bytes()), "x.png")})
    url = response.get_json()["attachments"][0]["url"]
    assert client.get(url, headers=tenant.headers).status_code == 404
    assert client.get(url + "?thumbnail=maybe", headers=other_tenant.headers).status_code == 400


def test_mark_read_resets_unread_and_publishes(client, tenant):
    conversation = make_conversation(tenant.company.id)
    first = inbound(conversation, "one")
    inbound(conversation, "two")
    url = f"/api/chat/sessions/{conversation.id}/read"
    assert client.put(url, json={}, headers=tenant.headers).status_code == 400
    assert client.put(url, json={"messageIds": [first.id]},
                      headers=tenant.headers).status_code == 204
    with hubdb.db.connection_context():
        assert Conversation.get_by_id(conversation.id).unread_count == 1
    messages = client.get(f"/api/chat/sessions/{conversation.id}/messages",
                          headers=tenant.headers).get_json()["messages"]
    assert [m["read"] for m in messages] == [True, False]
    events = [json.loads(e[1][b"event"]) for e in get_redis().xrange(
        history_key(tenant.company.id))]
    assert events[-1]["type"] == "conversation.updated"
    assert events[-1]["data"]["unreadCount"] == 1


def test_typing_publishes_an_event(client, tenant, db_conn):
    session = new_session(client, tenant)
    url = f"/api/chat/sessions/{session}/typing"
    assert client.post(url, json={"isTyping": "x"}, headers=tenant.headers).status_code == 400
    assert client.post(url, json={"isTyping": True}, headers=tenant.headers).status_code == 204
    event = json.loads(get_redis().xrange(history_key(tenant.company.id))[-1][1][b"event"])
    assert event["type"] == "typing" and event["conversationId"] == session
    assert event["data"]["userId"] == tenant.admin.id and event["data"]["isTyping"] is True
    assert event["data"]["timestamp"].endswith("Z")
