"""Two deliveries to one contact recording their outcomes at the same moment.

On PostgreSQL each outcome used to hold its own delivery row and then wait, in
`after_delivery`, for the other's: a deadlock that failed one job after its send, leaving the
message `sending` until the sweeper sent it a second time.
"""
from __future__ import annotations

import threading

from hub import db as hubdb
from hub import delivery, pending_events


def test_two_outcomes_for_one_contact_at_once_are_both_recorded(make_outbox, emulator,
                                                                monkeypatch, caplog):
    box = make_outbox("whatsapp")
    first, second = box.send("one"), box.send("two")
    # Both outcomes meet half-written, before either commits (unless one waits for the
    # other's locks: then it cannot arrive before the other's commit, and the meeting is off).
    meeting = threading.Barrier(2, timeout=1.5)
    real_after_delivery = pending_events.after_delivery

    def after_delivery(*args, **kwargs):
        try:
            meeting.wait()
        except threading.BrokenBarrierError:
            pass
        return real_after_delivery(*args, **kwargs)

    monkeypatch.setattr(pending_events, "after_delivery", after_delivery)
    actions: dict[str, str] = {}

    def deliver(message_id: str) -> None:
        try:
            with hubdb.db.connection_context():  # a worker thread's own connection
                actions[message_id] = delivery.deliver(message_id).action
        except Exception as exc:  # reported by the assertion below
            actions[message_id] = repr(exc)

    threads = [threading.Thread(target=deliver, args=(m.id,)) for m in (first, second)]
    [t.start() for t in threads]
    [t.join(timeout=30) for t in threads]
    assert actions == {first.id: "sent", second.id: "sent"}
    assert [box.delivery(m.id).status for m in (first, second)] == ["sent", "sent"]
    assert sorted(d["body"]["text"]["body"] for d in emulator.state.delivered()) == ["one", "two"]
    # Queued on the contact's locks, not rescued by the retry of a deadlocked write.
    assert not [r for r in caplog.records if "trying again" in r.getMessage()]
