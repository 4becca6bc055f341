"""Notifications: `notify()` for other services, and the owner's list, read and read-all."""
import pytest

from hub import db as hubdb
from hub.db import transaction
from hub.errors import NotFound, ValidationError
from hub.models import Notification
from hub.notifications import notify
from schemas.notifications import NotificationSchema
from tests.web.crm_helpers import assert_shape, error_of, events_of


def test_notify_stores_and_publishes_after_commit(tenant, db_conn):
    agent, _ = tenant.add_user("support")
    with transaction():
        row = notify(agent.id, "Conversation assigned", "Jane is yours", "alert", "/inbox/c1")
        # Inside the transaction nobody has been told yet.
        assert events_of(tenant.company.id, "notification.created") == []
    (event,) = events_of(tenant.company.id, "notification.created")
    assert event["data"]["id"] == row.id and event["data"]["link"] == "/inbox/c1"
    assert event["audience"] == {"userIds": [agent.id]}
    assert_shape(NotificationSchema(), event["data"])


def test_notify_in_a_rolled_back_transaction_leaves_nothing(tenant, db_conn):
    with pytest.raises(RuntimeError):
        with transaction():
            notify(tenant.admin.id, "Lost", "never sent")
            raise RuntimeError("the caller failed")
    assert Notification.select().count() == 0
    assert events_of(tenant.company.id, "notification.created") == []


def test_notify_refuses_bad_type_and_unknown_user(tenant, db_conn):
    with pytest.raises(ValidationError):
        notify(tenant.admin.id, "x", "y", "shout")
    with pytest.raises(NotFound):
        notify("nobody", "x")


def _seed(tenant, user, count):
    with hubdb.db.connection_context():
        return [notify(user.id, f"Note {i}", f"message {i}") for i in range(count)]


def test_list_is_the_callers_newest_first_with_unread_count(client, tenant):
    agent, headers = tenant.add_user("support")
    rows = _seed(tenant, agent, 3)
    _seed(tenant, tenant.admin, 2)  # someone else's
    response = client.get("/api/notifications?limit=2", headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert [n["id"] for n in body["notifications"]] == [rows[2].id, rows[1].id]
    assert (body["unreadCount"], body["totalCount"], body["totalPages"]) == (3, 3, 2)
    for item in body["notifications"]:
        assert_shape(NotificationSchema(), item)
    page2 = client.get("/api/notifications?limit=2&page=2", headers=headers).get_json()
    assert [n["id"] for n in page2["notifications"]] == [rows[0].id]


@pytest.mark.parametrize("query", ["page=0", "limit=0", "limit=101", "page=x", "unread=maybe"])
def test_bad_paging_is_400(client, tenant, query):
    response = client.get(f"/api/notifications?{query}", headers=tenant.headers)
    assert response.status_code == 400 and error_of(response) == "validation_error"


def test_mark_one_read(client, tenant):
    agent, headers = tenant.add_user("support")
    first, second = _seed(tenant, agent, 2)
    response = client.put(f"/api/notifications/{first.id}/read", headers=headers)
    assert response.status_code == 200 and response.get_json()["read"] is True
    body = client.get("/api/notifications", headers=headers).get_json()
    assert body["unreadCount"] == 1
    unread = client.get("/api/notifications?unread=true", headers=headers).get_json()
    assert [n["id"] for n in unread["notifications"]] == [second.id]


def test_another_users_notification_is_404(client, tenant):
    agent, headers = tenant.add_user("support")
    (theirs,) = _seed(tenant, tenant.admin, 1)
    response = client.put(f"/api/notifications/{theirs.id}/read", headers=headers)
    assert response.status_code == 404 and error_of(response) == "not_found"
    with hubdb.db.connection_context():
        assert Notification.get_by_id(theirs.id).read is False


def test_read_all_touches_only_the_callers(client, tenant):
    agent, headers = tenant.add_user("support")
    _seed(tenant, agent, 3)
    (theirs,) = _seed(tenant, tenant.admin, 1)
    response = client.put("/api/notifications/read-all", headers=headers)
    assert response.status_code == 200
    assert response.get_json() == {"updated": 3, "unreadCount": 0}
    assert client.get("/api/notifications", headers=headers).get_json()["unreadCount"] == 0
    with hubdb.db.connection_context():
        assert Notification.get_by_id(theirs.id).read is False


def test_notifications_need_a_token(client):
    assert client.get("/api/notifications").status_code == 401
    assert client.put("/api/notifications/read-all").status_code == 401
    assert client.put("/api/notifications/x/read").status_code == 401
