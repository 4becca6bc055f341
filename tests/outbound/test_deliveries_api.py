"""`/api/deliveries`: the dead-letter list, attempts, and a manual retry that really sends."""
from __future__ import annotations

from datetime import timedelta

import requests

from hub.delivery import deliver
from hub.delivery_admin import sweep
from hub.models import Delivery, DeliveryAttempt, utcnow
from tests.outbound.conftest import faults


def _failed_message(box, emulator, worker, rule=None):
    faults(emulator, rule or {"type": "http_5xx", "status": 503})
    message = box.send("needs a second chance")
    assert box.wait_for(message.id, ("failed",)).status == "failed"
    requests.post(f"{emulator.url}/_emulator/faults", json={"faults": []})
    return message


def test_failed_deliveries_are_listed_with_their_error(make_outbox, emulator, worker, client):
    box = make_outbox("whatsapp", maxRetries=1)
    message = _failed_message(box, emulator, worker)
    box.send("this one arrives")
    answer = client.get("/api/deliveries?status=failed", headers=box.tenant.headers)
    assert answer.status_code == 200
    page = answer.get_json()
    assert (page["totalCount"], page["page"], page["totalPages"]) == (1, 1, 1)
    [item] = page["items"]
    assert item["messageId"] == message.id
    assert item["conversationId"] == box.conversation.id
    assert (item["channelId"], item["channelKind"]) == (box.channel.id, "whatsapp")
    assert (item["attempts"], item["lastErrorCode"], item["deadLettered"]) == (2, "2", True)
    assert item["lastErrorReason"].startswith("gave up after 2 attempts")
    dead = client.get("/api/deliveries?deadLettered=true", headers=box.tenant.headers)
    assert [i["messageId"] for i in dead.get_json()["items"]] == [message.id]
    attempts = client.get(f"/api/deliveries/{message.id}/attempts",
                          headers=box.tenant.headers).get_json()
    assert [(a["number"], a["outcome"], a["httpStatus"], a["providerCode"])
            for a in attempts] == [(1, "retry", 503, "2"), (2, "failed", 503, "2")]
    assert all(a["latencyMs"] is not None and a["startedAt"].endswith("Z") for a in attempts)


def test_manual_retry_really_sends_again(make_outbox, emulator, worker, client):
    box = make_outbox("telegram", maxRetries=0)
    message = _failed_message(box, emulator, worker)
    assert emulator.state.delivered() == []
    answer = client.post(f"/api/deliveries/{message.id}/retry", headers=box.tenant.headers)
    assert answer.status_code == 202 and answer.get_json()["status"] == "queued"
    delivery = box.wait_for(message.id, ("sent", "failed"))
    assert delivery.status == "sent" and delivery.dead_lettered_at is None
    assert box.message(message.id).status == "sent"
    assert [d["body"]["text"] for d in emulator.state.delivered()] == ["needs a second chance"]
    again = client.post(f"/api/deliveries/{message.id}/retry", headers=box.tenant.headers)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "not_failed"


def test_roles_and_tenants(make_outbox, emulator, worker, client, other_tenant):
    box = make_outbox("whatsapp", maxRetries=0)
    message = _failed_message(box, emulator, worker)
    _, support = box.tenant.add_user("support")
    _, user = box.tenant.add_user("user")
    assert client.get("/api/deliveries", headers=support).status_code == 403
    assert client.get(f"/api/deliveries/{message.id}/attempts",
                      headers=support).status_code == 403
    assert client.post(f"/api/deliveries/{message.id}/retry", headers=user).status_code == 403
    foreign = other_tenant.headers
    assert client.get(f"/api/deliveries/{message.id}/attempts", headers=foreign).status_code \
        == 404
    assert client.post(f"/api/deliveries/{message.id}/retry", headers=foreign).status_code \
        == 404
    assert client.get("/api/deliveries", headers=foreign).get_json()["totalCount"] == 0
    assert client.get("/api/deliveries?status=nope", headers=box.tenant.headers
                      ).status_code == 400
    assert client.post(f"/api/deliveries/{message.id}/retry", headers=support
                       ).status_code == 202


def test_sweeper_requeues_stuck_and_overdue_deliveries(make_outbox, emulator, db_conn):
    box = make_outbox("whatsapp")
    stuck, overdue, fresh = box.send("stuck"), box.send("overdue"), box.send("fresh")
    long_ago = utcnow() - timedelta(minutes=10)
    Delivery.update(status="sending", sending_since=long_ago).where(
        Delivery.message == stuck.id).execute()
    DeliveryAttempt.create(delivery=box.delivery(stuck.id).id, number=1, outcome="sending")
    Delivery.update(updated_at=long_ago).where(Delivery.message == overdue.id).execute()
    assert sorted(sweep()) == sorted([stuck.id, overdue.id])
    assert box.delivery(stuck.id).status == "retrying"
    assert DeliveryAttempt.get().outcome == "interrupted"
    assert deliver(stuck.id).action == "sent" and deliver(overdue.id).action == "sent"
    assert fresh.id not in sweep()


def test_the_deliveries_routes_are_documented(client):
    spec = client.get("/api/openapi.json").get_json()
    assert {"/api/deliveries", "/api/deliveries/{message_id}/attempts",
            "/api/deliveries/{message_id}/retry"} <= set(spec["paths"])
    params = {p["name"] for p in spec["paths"]["/api/deliveries"]["get"]["parameters"]}
    assert {"status", "deadLettered", "page", "pageSize"} <= params
    page = spec["paths"]["/api/deliveries"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]
    ref = page.get("$ref", "").rsplit("/", 1)[-1]
    props = spec["components"]["schemas"][ref]["properties"] if ref else page["properties"]
    assert {"items", "totalCount", "page", "totalPages"} <= set(props)
