"""Helpers of the race tests: provider webhooks that arrive while `deliver` is still at work.

The races are made deterministic: the real connector sends to the emulator, and before its
answer goes back to `deliver` (or while `deliver` holds its transaction), another thread posts
the provider's webhooks through the signed endpoint and processes them to the end, as a fast
worker would. The `webhooks_during_send` fixture (tests/outbound/conftest.py) installs the first.
"""
from __future__ import annotations

import threading
from typing import Callable

from connectors.registry import get_connector
from hub import db as hubdb
from hub import delivery, inbound, pending_events
from tests.inbound.conftest import post_webhook

PAGE = "2200"  # the Messenger page of tests/outbound/conftest.py


def _messaging(psid: str, ms: int, **item) -> dict:
    return {"object": "page", "entry": [{"id": PAGE, "time": ms, "messaging": [
        {"timestamp": ms, **item}]}]}


def echo(mid: str, psid: str, text: str, ms: int = 1718031600000) -> dict:
    return _messaging(psid, ms, sender={"id": PAGE}, recipient={"id": psid},
                      message={"mid": mid, "is_echo": True, "app_id": 1, "text": text})


def reaction(mid: str, psid: str, ms: int = 1718031600500) -> dict:
    return _messaging(psid, ms, sender={"id": psid}, recipient={"id": PAGE},
                      reaction={"mid": mid, "action": "react", "emoji": "\U0001F44D"})


def wa_status(wamid: str, status: str, phone: str) -> dict:
    return {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
        {"field": "messages", "value": {"messaging_product": "whatsapp",
                                        "metadata": {"phone_number_id": "1100"},
                                        "statuses": [{"id": wamid, "status": status,
                                                      "timestamp": "1718031700",
                                                      "recipient_id": phone}]}}]}]}


def webhooks_during_send(app, monkeypatch) -> Callable:
    """An `install(box, bodies)`: the next sends run `bodies(provider_ids)` through the hub
    before `deliver` sees the provider's answer."""
    def install(box, bodies: Callable[[list[str]], list[dict]]) -> None:
        real = get_connector(box.channel.kind)

        class Racing:
            def __getattr__(self, name):
                return getattr(real, name)

            def send(self, config, outbound, http):
                result = real.send(config, outbound, http)
                errors: list[BaseException] = []
                thread = threading.Thread(target=process, args=(
                    app, box, bodies(result.provider_message_ids), errors))
                thread.start()
                thread.join()
                assert not errors, errors
                return result

        monkeypatch.setattr(delivery, "get_connector", lambda kind: Racing())

    return install


def process(app, box, bodies, errors) -> None:
    """Post each body through the signed endpoint and process its event to the end."""
    try:
        client = app.test_client()
        for body in bodies:
            answer = post_webhook(client, box.channel.kind, box.channel.id, body)
            assert answer.status_code == 200, answer.get_json()
            with hubdb.db.connection_context():  # a worker thread's own connection
                status = inbound.process_webhook_event(answer.get_json()["eventId"])
            assert status == "processed"
    except BaseException as exc:  # reported in the test's thread
        errors.append(exc)


# Seconds `deliver` waits, inside the transaction recording the send, for the racing webhook.
PAUSE = 1.0


def deliver_overlapped(app, box, message, monkeypatch, bodies: Callable[[list[str]], list[dict]]
                       ) -> tuple[list, list[BaseException], list[str]]:
    """`deliver` (A) held in its transaction right after its last look for parked rows
    (`after_delivery`) while `bodies(provider_ids)` go through the hub to the end (B), until B
    is done or PAUSE passed (B may be waiting for A); (A's outcomes, B's errors, the ids)."""
    ids: list[str] = []
    a_checked, b_done = threading.Event(), threading.Event()
    settle = pending_events.after_delivery

    def settle_then_pause(channel, row, provider_message_ids):
        settle(channel, row, provider_message_ids)
        ids.extend(provider_message_ids)
        a_checked.set()
        b_done.wait(PAUSE)

    monkeypatch.setattr(pending_events, "after_delivery", settle_then_pause)
    outcomes: list = []

    def send() -> None:
        try:
            with hubdb.db.connection_context():
                outcomes.append(delivery.deliver(message.id).action)
        except BaseException as exc:  # reported in the test's thread
            outcomes.append(exc)
        finally:
            a_checked.set()

    # Given `deliver` inside the transaction that records the provider's ids
    a = threading.Thread(target=send)
    a.start()
    assert a_checked.wait(10) and ids, outcomes
    # When the provider's webhooks about that message are processed meanwhile
    errors: list[BaseException] = []
    b = threading.Thread(target=lambda: (process(app, box, bodies(ids), errors),
                                         b_done.set()))
    b.start()
    a.join(10)
    b.join(10)
    return outcomes, errors, ids

