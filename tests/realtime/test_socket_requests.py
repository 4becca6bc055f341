"""Requests over `/ws` call the same services as REST, and answer with their id echoed."""
from hub.models import ClientNote, Contact, Message
from tests.realtime.helpers import conversation, incoming


def test_every_request_type_over_a_real_socket(web_a, tenant):
    conv = conversation(tenant.company.id, assignee=tenant.admin.id)
    seen = incoming(conv, "need a quote")
    client = web_a.ws(token=tenant.token)
    client.ready()
    try:
        listed = client.request("load_conversations")
        assert listed["ok"] and [c["id"] for c in listed["data"]["items"]] == [conv.id]
        prospects = client.request("load_prospects")
        assert [p["id"] for p in prospects["data"]["items"]] == [conv.contact_id]
        assert client.request("load_clients")["data"]["items"] == []
        messages = client.request("load_messages", conversationId=conv.id)
        assert [m["content"] for m in messages["data"]["messages"]] == ["need a quote"]
        sent = client.request("send_message", conversationId=conv.id, content="sure",
                              clientMessageId="c-1")
        again = client.request("send_message", conversationId=conv.id, content="sure",
                               clientMessageId="c-1")
        assert sent["ok"] and again["data"]["id"] == sent["data"]["id"]
        assert client.request("mark_as_read", conversationId=conv.id)["ok"]
        converted = client.request("convert_prospect", prospectId=conv.contact_id,
                                   fields={"firstName": "Ana", "lastName": "Lima"})
        assert converted["ok"] and converted["data"]["isClient"] is True
        twice = client.request("convert_prospect", prospectId=conv.contact_id,
                               fields={"firstName": "Ana"})
        assert twice["ok"] is False and twice["error"]["code"] == "already_client"
        note = client.request("add_client_note", clientId=conv.contact_id, content="VIP")
        assert note["ok"] and note["data"]["content"] == "VIP"
        bad = client.request("add_client_note", clientId=conv.contact_id, content="")
        assert bad["ok"] is False and bad["error"]["code"] == "validation_error"
        settings = client.request("update_chat_settings", settings={"theme": "dark"})
        assert settings["ok"] and settings["data"]["theme"] == "dark"
        wrong = client.request("update_chat_settings", settings={"theme": "pink"})
        assert wrong["ok"] is False
        unknown = client.request("launch_rockets")
        assert unknown["ok"] is False and unknown["error"]["code"] == "unknown_request"
    finally:
        client.close()
    from hub import db as hubdb

    with hubdb.db.connection_context():
        assert Message.select().where(Message.conversation == conv.id,
                                      Message.direction == "out").count() == 1
        assert Message.get_by_id(seen.id).seen_by_agent_at is not None
        assert Contact.get_by_id(conv.contact_id).first_name == "Ana"
        assert ClientNote.select().where(ClientNote.contact == conv.contact_id).count() == 1


def test_foreign_ids_are_not_found_over_the_socket(web_a, tenant, other_tenant):
    foreign = conversation(other_tenant.company.id)
    client = web_a.ws(token=tenant.token)
    client.ready()
    try:
        for type_, data in (("load_messages", {"conversationId": foreign.id}),
                            ("send_message", {"conversationId": foreign.id, "content": "x"}),
                            ("convert_prospect", {"prospectId": foreign.contact_id,
                                                  "fields": {"firstName": "X"}}),
                            ("add_client_note", {"clientId": foreign.contact_id,
                                                 "content": "x"})):
            reply = client.request(type_, **data)
            assert reply["ok"] is False and reply["error"]["code"] == "not_found", type_
    finally:
        client.close()
