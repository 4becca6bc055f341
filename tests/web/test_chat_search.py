"""`GET /api/chat/sessions?q=`: contact fields and full-text message search, with filters."""
from hub import db as hubdb
from hub.db import is_postgres
from tests.web.chat_data import inbound, make_channel, make_conversation


def ids(client, tenant, query, headers=None):
    response = client.get(f"/api/chat/sessions?{query}", headers=headers or tenant.headers)
    assert response.status_code == 200, response.get_json()
    return {s["id"] for s in response.get_json()["sessions"]}


def test_search_matches_contact_name_phone_email_and_message_text(client, tenant, other_tenant):
    ana = make_conversation(tenant.company.id, name="Ana Lopez", phone="+34600111222",
                            email="ana@shop.test")
    bob = make_conversation(tenant.company.id, name="Bob", phone="+4915112345")
    inbound(bob, "My invoice number 4471 is wrong, refunds please")
    inbound(ana, "hello there")
    foreign = make_conversation(other_tenant.company.id, name="Ana Foreign")
    inbound(foreign, "invoice refunds")
    assert ids(client, tenant, "q=lopez") == {ana.id}
    assert ids(client, tenant, "q=%2B34%20600") == {ana.id}
    assert ids(client, tenant, "q=shop.test") == {ana.id}
    assert ids(client, tenant, "q=invoice") == {bob.id}
    assert ids(client, tenant, "q=refund") == {bob.id}  # a word's prefix
    assert ids(client, tenant, "q=invoice%20wrong") == {bob.id}  # every word
    assert ids(client, tenant, "q=invoice%20hello") == set()
    assert ids(client, tenant, "q=ana") == {ana.id}  # never the other company's


def test_search_input_is_never_an_fts_query(client, tenant):
    bob = make_conversation(tenant.company.id, name="Bob")
    inbound(bob, "price of the blue model")
    for q in ['"', "blue OR", "NEAR(blue", "*", "blue:*", "'; drop table message; --", "%_%"]:
        response = client.get("/api/chat/sessions", query_string={"q": q},
                              headers=tenant.headers)
        assert response.status_code == 200, (q, response.get_json())
    assert ids(client, tenant, "q=blue%20OR") == set()  # OR is a word here, not an operator
    assert ids(client, tenant, "q=BLUE") == {bob.id}


def test_search_uses_the_backend_index(db_conn):
    """The query plan goes through FTS5 / the GIN expression index, not a scan of messages."""
    if is_postgres():
        hubdb.db.execute_sql("SET enable_seqscan = off")
        plan = "\n".join(r[0] for r in hubdb.db.execute_sql(
            "EXPLAIN SELECT conversation_id FROM message WHERE "
            "to_tsvector('simple', content) @@ to_tsquery('simple', 'x:*')").fetchall())
        hubdb.db.execute_sql("SET enable_seqscan = on")
        assert "message_content_fts" in plan
    else:
        plan = " ".join(str(r) for r in hubdb.db.execute_sql(
            "EXPLAIN QUERY PLAN SELECT message.conversation_id FROM message JOIN message_fts"
            " ON message_fts.rowid = message.rowid WHERE message_fts MATCH 'x'").fetchall())
        assert "VIRTUAL TABLE INDEX" in plan


def test_filters_combine_with_search(client, tenant):
    agent, agent_headers = tenant.add_user("support")
    telegram = make_channel(tenant.company.id, "telegram")
    on_telegram = make_conversation(tenant.company.id, name="Tess", channel=telegram)
    on_whatsapp = make_conversation(tenant.company.id, kind="whatsapp", name="Will")
    inbound(on_telegram, "shipping question")
    inbound(on_whatsapp, "shipping question too")
    client.put(f"/api/chat/sessions/{on_telegram.id}/assign", json={"agentId": agent.id},
               headers=tenant.headers)
    client.put(f"/api/chat/sessions/{on_whatsapp.id}/tags", json={"tags": ["vip"]},
               headers=tenant.headers)
    assert ids(client, tenant, "q=shipping") == {on_telegram.id, on_whatsapp.id}
    assert ids(client, tenant, "q=shipping&channel=telegram") == {on_telegram.id}
    assert ids(client, tenant, f"channel={telegram.id}") == {on_telegram.id}
    assert ids(client, tenant, "q=shipping&assignee=unassigned") == {on_whatsapp.id}
    assert ids(client, tenant, f"assignee={agent.id}") == {on_telegram.id}
    assert ids(client, tenant, "assignee=me", agent_headers) == {on_telegram.id}
    assert ids(client, tenant, "tag=vip") == {on_whatsapp.id}
    assert ids(client, tenant, "tag=vi") == set()
    assert ids(client, tenant, "q=shipping&status=closed") == set()


def test_tag_filter_is_exact_with_wildcards_and_unicode(client, tenant):
    odd = make_conversation(tenant.company.id, name="Odd")
    plain = make_conversation(tenant.company.id, name="Plain")
    client.put(f"/api/chat/sessions/{odd.id}/tags", json={"tags": ["50%_off", "été"]},
               headers=tenant.headers)
    client.put(f"/api/chat/sessions/{plain.id}/tags", json={"tags": ["50xyoff", "Été"]},
               headers=tenant.headers)
    assert ids(client, tenant, "tag=50%25_off") == {odd.id}
    assert ids(client, tenant, "tag=%C3%A9t%C3%A9") == {odd.id}
    assert ids(client, tenant, "tag=%25") == set()
