"""`/api/chat/stats`, `/api/metrics` and the dashboard series over real rollups."""
from datetime import timedelta

from hub.analytics import recompute_day
from hub.models import Channel, Contact, Conversation, Message, utcnow


def seed_conversation(tenant, db_conn):
    """A WhatsApp conversation today: a customer question and an agent answer 3 minutes later."""
    channel = Channel.create(company=tenant.company, kind="whatsapp", name="WA", settings={})
    contact = Contact.create(company=tenant.company, name="Ana")
    start = utcnow().replace(hour=0, minute=5, second=0, microsecond=0)
    conv = Conversation.create(company=tenant.company, channel=channel, contact=contact,
                               started_at=start, tags=[])
    Message.create(company=tenant.company, conversation=conv, channel=channel, direction="in",
                   sender_type="customer", content="hello?", timestamp=start)
    Message.create(company=tenant.company, conversation=conv, channel=channel, direction="out",
                   sender_type="agent", sender_user=tenant.admin, content="hi!",
                   status="sent", timestamp=start + timedelta(minutes=3))
    recompute_day(tenant.company.id, start.date())
    return channel


def test_stats_reads_rollups(client, tenant, db_conn):
    channel = seed_conversation(tenant, db_conn)
    body = client.get("/api/chat/stats", headers=tenant.headers).get_json()
    assert body == {"totalSessions": 1, "activeSessions": 1, "averageResponseTime": 3.0,
                    "messagesExchanged": 2}
    by_channel = client.get(f"/api/chat/stats?channel={channel.id}", headers=tenant.headers)
    assert by_channel.get_json()["messagesExchanged"] == 2


def test_stats_validates_and_isolates(client, tenant, other_tenant, db_conn):
    channel = seed_conversation(other_tenant, db_conn)
    assert client.get(f"/api/chat/stats?channel={channel.id}",
                      headers=tenant.headers).status_code == 404
    assert client.get("/api/chat/stats?from=2026-02-10&to=2026-02-01",
                      headers=tenant.headers).status_code == 400
    assert client.get("/api/chat/stats?from=yesterday", headers=tenant.headers).status_code == 400
    assert client.get("/api/chat/stats", headers=tenant.headers).get_json()[
        "messagesExchanged"] == 0
    _, user_headers = tenant.add_user("user")
    assert client.get("/api/chat/stats", headers=user_headers).status_code == 403


def test_metrics_and_dashboard(client, tenant, db_conn):
    seed_conversation(tenant, db_conn)
    metrics = client.get("/api/metrics", headers=tenant.headers).get_json()
    assert metrics and {"id", "name", "value", "status", "trend"} <= set(metrics[0])
    assert {m["status"] for m in metrics} <= {"success", "warning", "error", "info"}
    assert {m["trend"] for m in metrics} <= {"up", "down", "stable"}
    dashboard = client.get("/api/analytics/dashboard?days=3", headers=tenant.headers).get_json()
    assert len(dashboard["volume"]) == 3
    assert dashboard["volume"][-1]["byChannel"] == {"WA": 2}
    assert client.get("/api/metrics?days=0", headers=tenant.headers).status_code == 400
