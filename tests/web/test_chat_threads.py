"""ChatThreads of the widget schema over the same services: `/api/chats`, `/api/messages/<id>/read`."""
from hub import db as hubdb
from hub.models import Conversation, Message
from tests.web.chat_data import at, inbound, make_conversation


def test_create_thread_send_and_read_it_back(client, tenant):
    created = client.post("/api/chats", json={"subject": "Order 12"}, headers=tenant.headers)
    assert created.status_code == 201
    chat = created.get_json()
    assert chat["status"] == "active" and chat["messages"] == []
    assert [p["id"] for p in chat["participants"]] == [tenant.admin.id]
    sent = client.post(f"/api/chats/{chat['id']}/messages", json={"content": "hi"},
                       headers=tenant.headers)
    assert sent.status_code == 201
    message = sent.get_json()
    assert message["sender"]["id"] == tenant.admin.id and message["sender"]["role"] == "admin"
    reply = client.post(f"/api/chats/{chat['id']}/messages",
                        json={"content": "again", "replyTo": message["id"]},
                        headers=tenant.headers).get_json()
    assert reply["replyTo"] == {"id": message["id"], "content": "hi",
                                "timestamp": message["timestamp"]}
    thread = client.get(f"/api/chats/{chat['id']}", headers=tenant.headers).get_json()
    assert [m["content"] for m in thread["messages"]] == ["hi", "again"]
    assert thread["createdAt"].endswith("Z") and thread["updatedAt"].endswith("Z")


def test_thread_participants_include_the_contact(client, tenant):
    agent, _ = tenant.add_user("support", name="Sam")
    conversation = make_conversation(tenant.company.id, name="Ana", email="ana@x.test")
    inbound(conversation, "hello", at(1))
    client.put(f"/api/chat/sessions/{conversation.id}/assign", json={"agentId": agent.id},
               headers=tenant.headers)
    thread = client.get(f"/api/chats/{conversation.id}", headers=tenant.headers).get_json()
    names = {(p["name"], p["role"], p["isContact"]) for p in thread["participants"]}
    assert names == {("Sam", "support", False), ("Ana", "user", True)}
    assert thread["messages"][0]["sender"]["name"] == "Ana"
    listed = client.get("/api/chats", headers=tenant.headers).get_json()
    assert listed["totalCount"] == 1 and listed["items"][0]["id"] == conversation.id
    assert [m["content"] for m in listed["items"][0]["messages"]] == ["hello"]


def test_thread_errors(client, tenant):
    assert client.get("/api/chats?limit=0", headers=tenant.headers).status_code == 400
    assert client.get("/api/chats/" + "0" * 32, headers=tenant.headers).status_code == 404
    assert client.post("/api/chats", json={"priority": "x"},
                       headers=tenant.headers).status_code == 400
    chat = client.post("/api/chats", json={}, headers=tenant.headers).get_json()
    url = f"/api/chats/{chat['id']}/messages"
    assert client.post(url, json={"content": ["x"]}, headers=tenant.headers).status_code == 400
    assert client.post(url, json={}, headers=tenant.headers).status_code == 422
    client.put(f"/api/chat/sessions/{chat['id']}/close", headers=tenant.headers)
    assert client.post(url, json={"content": "x"}, headers=tenant.headers).status_code == 409


def test_mark_one_message_read(client, tenant):
    conversation = make_conversation(tenant.company.id)
    first = inbound(conversation, "one")
    inbound(conversation, "two")
    assert client.put(f"/api/messages/{first.id}/read", headers=tenant.headers).status_code == 204
    with hubdb.db.connection_context():
        assert Message.get_by_id(first.id).seen_by_agent_at is not None
        assert Conversation.get_by_id(conversation.id).unread_count == 1
    assert client.put("/api/messages/" + "0" * 32 + "/read",
                      headers=tenant.headers).status_code == 404


def test_user_role_cannot_read_others_messages(client, tenant):
    _, user_headers = tenant.add_user("user")
    conversation = make_conversation(tenant.company.id)
    message = inbound(conversation, "private to agents")
    assert client.put(f"/api/messages/{message.id}/read", headers=user_headers).status_code == 404
    assert client.get(f"/api/chats/{conversation.id}", headers=user_headers).status_code == 404
