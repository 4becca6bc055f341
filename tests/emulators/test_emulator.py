"""Provider emulator: success shapes, faults, received vs delivered, signed status webhooks."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from typing import Any

import pytest
import requests
from flask import Flask, request
from werkzeug.serving import make_server

from connectors.emulators import EmulatorServer

WA = {"Authorization": "Bearer wa-token"}
TG = "/bot123456:ABCdef_-ghi"
TEXT = {"messaging_product": "whatsapp", "to": "+1 555 000 2222", "type": "text",
        "text": {"body": "hello"}}


@pytest.fixture()
def emu():
    with EmulatorServer() as server:
        yield server


def test_whatsapp_send_and_read_receipt(emu: EmulatorServer) -> None:
    r = requests.post(f"{emu.url}/v19.0/106540352242922/messages", json=TEXT, headers=WA)
    body = r.json()
    assert r.status_code == 200 and body["contacts"] == [{"input": "+1 555 000 2222",
                                                          "wa_id": "15550002222"}]
    assert body["messages"][0]["id"].startswith("wamid.")
    read = {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.x"}
    assert requests.post(f"{emu.url}/v19.0/1/messages", json=read, headers=WA).json() == {
        "success": True}
    bad = requests.post(f"{emu.url}/v19.0/1/messages", json={"to": "1"}, headers=WA)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == 100
    assert len(emu.state.delivered("whatsapp")) == 1


def test_whatsapp_media_upload_info_and_download(emu: EmulatorServer) -> None:
    up = requests.post(f"{emu.url}/v19.0/1/media", headers=WA,
                       data={"messaging_product": "whatsapp", "type": "image/png"},
                       files={"file": ("a.png", b"\x89PNG", "image/png")})
    media_id = up.json()["id"]
    info = requests.get(f"{emu.url}/v19.0/{media_id}", headers=WA).json()
    assert info["mime_type"] == "image/png" and info["file_size"] == 4
    assert info["sha256"] == hashlib.sha256(b"\x89PNG").hexdigest()
    assert requests.get(info["url"]).status_code == 401  # the media URL needs the token too
    assert requests.get(info["url"], headers=WA).content == b"\x89PNG"
    emu.state.add_media("999", b"seeded", "audio/ogg")
    assert requests.get(f"{emu.url}/v19.0/999", headers=WA).json()["mime_type"] == "audio/ogg"


def test_whatsapp_templates_and_phone_number(emu: EmulatorServer) -> None:
    t = requests.get(f"{emu.url}/v19.0/102290129340398/message_templates", headers=WA).json()
    assert t["data"][0]["name"] == "hello_world" and "paging" in t
    phone = requests.get(f"{emu.url}/v19.0/106540352242922", headers=WA).json()
    assert phone["id"] == "106540352242922" and phone["quality_rating"] == "GREEN"


def test_graph_send_and_attachment(emu: EmulatorServer) -> None:
    body = {"recipient": {"id": "6543210987654321"}, "messaging_type": "RESPONSE",
            "message": {"text": "hi"}}
    r = requests.post(f"{emu.url}/v19.0/me/messages", json=body, params={"access_token": "p"})
    assert r.json()["recipient_id"] == "6543210987654321"
    assert r.json()["message_id"].startswith("m_")
    emu.state.add_media("555", b"GIF89a", "image/gif")
    assert requests.get(f"{emu.url}/_attachments/555").content == b"GIF89a"


def test_wrong_tokens_get_provider_401_shapes(emu: EmulatorServer) -> None:
    emu.state.set_tokens("whatsapp", {"good"})
    emu.state.set_tokens("graph", {"good"})
    emu.state.set_tokens("telegram", {"123456:ABCdef_-ghi"})
    wa = requests.post(f"{emu.url}/v19.0/1/messages", json=TEXT, headers=WA)
    assert wa.status_code == 401
    assert wa.json()["error"]["code"] == 190 and wa.json()["error"]["type"] == "OAuthException"
    graph = requests.post(f"{emu.url}/v19.0/me/messages", json={}, params={"access_token": "x"})
    assert graph.status_code == 401 and graph.json()["error"]["code"] == 190
    tg = requests.post(f"{emu.url}/bot1:nope/sendMessage", json={"chat_id": 1, "text": "x"})
    assert tg.status_code == 401
    assert tg.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert requests.post(f"{emu.url}{TG}/sendMessage", json={"chat_id": 1, "text": "x"}).ok


def test_telegram_messages_count_per_chat_and_forms(emu: EmulatorServer) -> None:
    ids = [requests.post(f"{emu.url}{TG}/sendMessage", json={"chat_id": chat, "text": "x"})
           .json()["result"]["message_id"] for chat in (1, 1, 2)]
    assert ids == [1, 2, 1]
    form = requests.post(f"{emu.url}{TG}/sendMessage",
                         data={"chat_id": "-1001", "text": "y",
                               "reply_parameters": json.dumps({"message_id": 1})}).json()
    assert form["result"]["chat"]["type"] == "supergroup"
    assert form["result"]["reply_to_message"]["message_id"] == 1
    long = requests.post(f"{emu.url}{TG}/sendMessage", json={"chat_id": 1, "text": "z" * 4097})
    assert long.status_code == 400 and long.json()["description"].endswith("too long")


def test_telegram_upload_get_file_and_download(emu: EmulatorServer) -> None:
    sent = requests.post(f"{emu.url}{TG}/sendDocument", data={"chat_id": 1},
                         files={"document": ("r.pdf", b"%PDF", "application/pdf")}).json()
    doc = sent["result"]["document"]
    assert doc["file_name"] == "r.pdf" and doc["mime_type"] == "application/pdf"
    f = requests.get(f"{emu.url}{TG}/getFile", params={"file_id": doc["file_id"]}).json()
    assert requests.get(f"{emu.url}/file{TG}/{f['result']['file_path']}").content == b"%PDF"
    bad = requests.get(f"{emu.url}{TG}/getFile", params={"file_id": "nope"}).json()
    assert bad == {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"}


def test_telegram_webhook_methods_and_updates(emu: EmulatorServer) -> None:
    set_ = requests.post(f"{emu.url}{TG}/setWebhook",
                         json={"url": "https://hub/wh", "secret_token": "abc_DEF-1",
                               "allowed_updates": ["message"]}).json()
    assert set_ == {"ok": True, "result": True, "description": "Webhook was set"}
    info = requests.get(f"{emu.url}{TG}/getWebhookInfo").json()["result"]
    assert info["url"] == "https://hub/wh" and info["allowed_updates"] == ["message"]
    assert requests.get(f"{emu.url}{TG}/getUpdates").status_code == 409
    assert requests.post(f"{emu.url}{TG}/deleteWebhook").json()["result"] is True
    requests.post(f"{emu.url}/_emulator/telegram/123456:ABCdef_-ghi/updates",
                  json={"message": {"message_id": 1, "chat": {"id": 1, "type": "private"},
                                    "date": 1, "text": "hi"}})
    ups = requests.get(f"{emu.url}{TG}/getUpdates").json()["result"]
    assert len(ups) == 1 and "update_id" in ups[0]
    after = requests.get(f"{emu.url}{TG}/getUpdates",
                         params={"offset": ups[0]["update_id"] + 1}).json()
    assert after["result"] == []


def _configure(emu: EmulatorServer, *faults: dict, seed: int | None = None) -> None:
    r = requests.post(f"{emu.url}/_emulator/faults", json={"faults": list(faults), "seed": seed})
    assert r.ok


def test_fault_5xx_next_n_then_recovers(emu: EmulatorServer) -> None:
    _configure(emu, {"type": "http_5xx", "provider": "whatsapp", "next": 2, "status": 503})
    codes = [requests.post(f"{emu.url}/v19.0/1/messages", json=TEXT, headers=WA).status_code
             for _ in range(3)]
    assert codes == [503, 503, 200]
    received = requests.get(f"{emu.url}/_emulator/received?provider=whatsapp").json()
    assert [r["fault"] for r in received] == ["http_5xx", "http_5xx", None]
    assert len(emu.state.delivered()) == 1  # faulted requests are not deliveries


def test_fault_rate_limit_shapes(emu: EmulatorServer) -> None:
    _configure(emu, {"type": "rate_limit", "retryAfter": 3})
    wa = requests.post(f"{emu.url}/v19.0/1/messages", json=TEXT, headers=WA)
    assert wa.status_code == 429 and wa.headers["Retry-After"] == "3"
    assert wa.json()["error"]["code"] == 130429
    tg = requests.post(f"{emu.url}{TG}/sendMessage", json={"chat_id": 1, "text": "x"})
    assert tg.json()["parameters"] == {"retry_after": 3} and tg.json()["error_code"] == 429


def test_fault_provider_error_code(emu: EmulatorServer) -> None:
    _configure(emu, {"type": "error_code", "provider": "whatsapp", "code": 131047,
                     "message": "Re-engagement message", "details": "More than 24 hours"})
    err = requests.post(f"{emu.url}/v19.0/1/messages", json=TEXT, headers=WA).json()["error"]
    assert err["code"] == 131047 and err["error_data"]["details"] == "More than 24 hours"
    assert err["fbtrace_id"] and err["message"] == "Re-engagement message"
    _configure(emu, {"type": "error_code", "code": 2, "isTransient": True, "httpStatus": 500})
    err = requests.post(f"{emu.url}/v19.0/me/messages", json={}, headers=WA)
    assert err.status_code == 500 and err.json()["error"]["is_transient"] is True


def test_fault_latency_still_delivers_and_timeout_does_not(emu: EmulatorServer) -> None:
    _configure(emu, {"type": "latency", "latencyMs": 200, "next": 1})
    start = time.monotonic()
    assert requests.post(f"{emu.url}/v19.0/1/messages", json=TEXT, headers=WA).ok
    assert time.monotonic() - start >= 0.2
    _configure(emu, {"type": "timeout", "timeoutMs": 1000, "next": 1})
    with pytest.raises(requests.Timeout):
        requests.post(f"{emu.url}/v19.0/1/messages", json=TEXT, headers=WA, timeout=0.2)
    time.sleep(1.0)
    assert len(emu.state.delivered()) == 1


def test_fault_rate_is_deterministic_with_seed(emu: EmulatorServer) -> None:
    def run() -> list[int]:
        _configure(emu, {"type": "http_5xx", "rate": 0.5}, seed=42)
        return [requests.post(f"{emu.url}{TG}/sendMessage", json={"chat_id": 1, "text": "x"})
                .status_code for _ in range(20)]
    first, second = run(), run()
    assert first == second and 200 in first and 503 in first


def test_duplicates_and_reset(emu: EmulatorServer) -> None:
    for _ in range(2):
        requests.post(f"{emu.url}/v19.0/1/messages", json=TEXT, headers=WA)
    d = requests.get(f"{emu.url}/_emulator/delivered").json()
    assert d["duplicates"] == 1 and len(d["delivered"]) == 2
    requests.post(f"{emu.url}/_emulator/reset")
    assert requests.get(f"{emu.url}/_emulator/received").json() == []


class _Hub:
    """A tiny receiving server that checks Meta's signature like the hub does."""

    def __init__(self, secret: str):
        self.got: list[dict[str, Any]] = []
        app = Flask("fake-hub")

        @app.post("/webhooks/<kind>/<channel_id>")
        def hook(kind: str, channel_id: str):  # type: ignore[no-untyped-def]
            raw = request.get_data()
            want = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
            ok = hmac.compare_digest(want, request.headers.get("X-Hub-Signature-256", ""))
            self.got.append({"kind": kind, "channel": channel_id, "ok": ok,
                             "body": json.loads(raw)})
            return ("", 200) if ok else ("", 401)

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_status_webhooks_are_signed_and_shaped(emu: EmulatorServer) -> None:
    hub = _Hub("app-secret")
    try:
        assert emu.state.post_status(hub.url, "whatsapp", "ch9", "app-secret", "wamid.A",
                                     "delivered", "15550002222") == 200
        r = requests.post(f"{emu.url}/_emulator/status-webhook", json={
            "hubUrl": hub.url, "kind": "messenger", "channelId": "ch8", "appSecret":
            "app-secret", "providerMessageId": "m_1", "status": "delivered",
            "recipient": "654"})
        assert r.json() == {"ok": True, "hubStatus": 200}
        wa, fb = hub.got
        assert wa["ok"] and fb["ok"] and wa["channel"] == "ch9"
        status = wa["body"]["entry"][0]["changes"][0]["value"]["statuses"][0]
        assert status["id"] == "wamid.A" and status["status"] == "delivered"
        assert fb["body"]["entry"][0]["messaging"][0]["delivery"]["mids"] == ["m_1"]
        assert emu.state.post_status(hub.url, "whatsapp", "c", "other", "w", "read", "1") == 401
    finally:
        hub.server.shutdown()


def test_auto_status_after_whatsapp_send(emu: EmulatorServer) -> None:
    hub = _Hub("s")
    try:
        requests.post(f"{emu.url}/_emulator/config", json={"autoStatus": {
            "hubUrl": hub.url, "channelId": "c1", "appSecret": "s", "delayMs": 10}})
        wamid = requests.post(f"{emu.url}/v19.0/1/messages", json=TEXT,
                              headers=WA).json()["messages"][0]["id"]
        deadline = time.monotonic() + 5
        while len(hub.got) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        statuses = [h["body"]["entry"][0]["changes"][0]["value"]["statuses"][0] for h in hub.got]
        assert [(s["id"], s["status"]) for s in statuses] == [(wamid, "delivered"),
                                                              (wamid, "read")]
    finally:
        hub.server.shutdown()
