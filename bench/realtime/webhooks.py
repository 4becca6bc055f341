"""Signed WhatsApp text webhooks posted at a steady rate; each carries its sequence and send time."""
from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import threading
import time
from typing import Any

from bench.realtime.seed import APP_SECRET

# Contacts per company the bench messages come from, in turn: a company's first 30 messages
# each open a conversation, the later ones join one (in --full, half of the 60 per company).
CONTACTS = 30


def whatsapp_body(seq: int, sent_at: float, phone_number_id: str, contact: int) -> bytes:
    """One inbound text message whose content is `bench <seq> <sent_at>`."""
    phone = f"1555{contact:07d}"
    return json.dumps({"object": "whatsapp_business_account", "entry": [{
        "id": "102290129340398", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550001111", "phone_number_id": phone_number_id},
            "contacts": [{"profile": {"name": f"Customer {contact}"}, "wa_id": phone}],
            "messages": [{"from": phone, "id": f"wamid.RT{seq:09d}", "timestamp": str(int(sent_at)),
                          "type": "text", "text": {"body": f"bench {seq} {sent_at:.6f}"}}]}}]}]})\
        .encode()


# Posting threads: enough that the schedule holds while the hub answers slowly (open-loop load;
# with 16, posts answered in 90 ms capped the offered rate near 180/s and the rest fell behind).
POSTERS = 64


def post_steadily(port: int, targets: list[tuple[str, str]], rate: float, seconds: float,
                  threads: int = POSTERS) -> dict[str, Any]:
    """POST rate*seconds webhooks on a fixed schedule; message i goes to targets[i % n].

    `targets` are (channel_id, phone_number_id). Returns status counts, POST latencies and the
    schedule lag (how late the posts left: the generator's own health).
    """
    total = int(rate * seconds)
    start = time.time() + 0.5
    cursor = iter(range(total))
    lock = threading.Lock()
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    lags: list[float] = []

    def run() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                seq = next(cursor, None)
            if seq is None:
                break
            due = start + seq / rate
            time.sleep(max(0.0, due - time.time()))
            channel_id, phone_number_id = targets[seq % len(targets)]
            sent_at = time.time()
            raw = whatsapp_body(seq, sent_at, phone_number_id, (seq // len(targets)) % CONTACTS)
            signature = "sha256=" + hmac.new(APP_SECRET.encode(), raw, hashlib.sha256).hexdigest()
            try:
                conn.request("POST", f"/webhooks/whatsapp/{channel_id}", raw,
                             {"Content-Type": "application/json", "X-Hub-Signature-256": signature})
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = 0
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                latencies.append(time.time() - sent_at)
                lags.append(sent_at - due)
        conn.close()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    [w.start() for w in workers]
    [w.join() for w in workers]
    return {"posted": total, "statuses": statuses, "latencies": latencies, "lags": lags,
            "seconds": time.time() - start}
