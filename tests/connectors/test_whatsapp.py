"""WhatsApp connector: every fixture parsed, and every Graph call against a local emulator."""
from __future__ import annotations

import json
from datetime import datetime

import pytest

from connectors.base import (ChannelConfig, OutboundMedia, OutboundMessage, PermanentSendError,
                             TransientSendError)
from connectors.meta import MediaTooLargeError
from connectors.whatsapp import connector
from hub.events import MediaRef
from tests.connectors.conftest import assert_events, fixture_files, graph_error

PNID, WABA = "106540352242922", "102290129340398"
ANA, JURGEN, HANAKO = "16315551234", "4915112345678", "819012345678"
OUT1 = "wamid.HBgLMTYzMTU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"
OUT2 = "wamid.HBgLMTYzMTU1NTEyMzQVAgARGBJDOEQ5NjdGQzM1RkQ0QTI0OEEA"


def wamid(n: int) -> str:
    return f"wamid.HBgLMTYzMTU1NTEyMzQVAgASGBQzQTRGNjU{n:04d}QkE3RjY1QzdFMEIA"


def msg(n: int, message_type: str, **more) -> dict:
    """Expectation for an inbound message (from Ana unless `contact.external_id` says)."""
    return {"type": "InboundMessage", "provider_message_id": wamid(n),
            "message_type": message_type, "direction": "in",
            "contact.external_id": ANA, **more}


def status(mid: str, value: str, **more) -> dict:
    return {"type": "StatusUpdate", "provider_message_id": mid, "status": value, **more}


EXPECTED: dict[str, list[dict]] = {
    "messages__text": [msg(1, "text", text="Hi, is my order 58213 shipped yet?",
                           **{"contact.name": "Ana García", "contact.phone": "+16315551234",
                              "timestamp": datetime(2024, 6, 10, 15, 0)})],
    "messages__text_unicode": [msg(2, "text", text="こんにちは！注文の件です 🙏 Café crème, "
                                   "s'il vous plaît 😀", **{"contact.external_id": HANAKO,
                                                              "contact.name": "田中 花子"})],
    "messages__reply_context": [msg(3, "text", text="Yes, that one", reply_to_provider_id=OUT1)],
    "messages__image": [msg(4, "image", text="The box arrived damaged",
                            **{"media.0.kind": "image", "media.0.provider_media_id":
                               "1081231566393284", "media.0.mime_type": "image/jpeg"})],
    "messages__video": [msg(5, "video", **{"media.0.provider_media_id": "1219384755906642"})],
    "messages__audio": [msg(6, "audio", **{"media.0.kind": "audio"})],
    "messages__voice": [msg(7, "voice", **{"media.0.kind": "voice", "media.0.provider_media_id":
                                           "953317410288156"})],
    "messages__document": [msg(8, "document", text="Invoice for May",
                               **{"media.0.filename": "factura-mayo-2024.pdf",
                                  "media.0.sha256": "a1Zq8U0nK3cF5vT9yW2pX4rB6mD8hJ0lQ7sE1gI3kN5="})],
    "messages__sticker": [msg(9, "sticker", **{"media.0.mime_type": "image/webp"})],
    "messages__location": [msg(10, "location", payload={
        "lat": 40.418889, "lng": -3.697222, "name": "Círculo de Bellas Artes",
        "address": "Calle de Alcalá 42, 28014 Madrid"})],
    "messages__contacts": [msg(11, "contacts", **{
        "payload.contacts.0.name.formatted_name": "Lucía Fernández"})],
    "messages__reaction": [{"type": "Reaction", "target_provider_message_id": OUT1,
                            "emoji": "👍", "contact.external_id": ANA}],
    "messages__reaction_removed": [{"type": "Reaction", "target_provider_message_id": OUT1,
                                    "emoji": None}],
    "messages__interactive_button_reply": [msg(14, "interactive", text="Sí, confirmar",
                                               reply_to_provider_id=OUT1, **{
                                                   "payload.id": "confirm_delivery",
                                                   "payload.title": "Sí, confirmar"})],
    "messages__interactive_list_reply": [msg(15, "interactive", text="Wed 10:00", **{
        "payload.id": "slot_2024_06_12_10", "payload.reply_type": "list_reply"})],
    "messages__button": [msg(16, "button", text="Stop promotions", reply_to_provider_id=OUT2,
                             **{"payload.payload": "STOP_PROMOTIONS"})],
    "messages__system": [msg(17, "system", text="User Ana García changed from 16315551234 to "
                             "16315559876", **{"payload.new_wa_id": "16315559876"})],
    "messages__unsupported": [msg(18, "unsupported", **{"payload.error.code": 131051})],
    "messages__unknown_type": [{"type": "Ignored", "event_type": "messages.order"}],
    "messages__batched": [
        msg(20, "text", text="Hallo, ich habe eine Frage zur Rücksendung",
            **{"contact.external_id": JURGEN, "contact.name": "Jürgen Müller"}),
        msg(21, "text", text="Hello again!", **{"contact.name": "Ana García"}),
        status(OUT1, "delivered", recipient_id=ANA),
        status(OUT2, "read", timestamp=datetime(2024, 6, 10, 15, 1, 30)),
        msg(22, "image", **{"contact.external_id": HANAKO, "contact.name": "田中 花子"}),
    ],
    "statuses__sent": [status(OUT1, "sent", error_code=None)],
    "statuses__delivered": [status(OUT1, "delivered")],
    "statuses__read": [status(OUT1, "read", timestamp=datetime(2024, 6, 10, 15, 0, 30))],
    "statuses__failed": [status(OUT2, "failed", error_code="131047", error_reason=(
        "Re-engagement message: Message failed to send because more than 24 hours have passed "
        "since the customer last replied to this number."))],
    "statuses__failed_undeliverable": [status(OUT1, "failed", recipient_id=JURGEN,
                                              error_code="131026")],
    "statuses__before_message": [status(OUT1, "read"),
                                 msg(23, "text", text="Thanks, got it 👌",
                                     reply_to_provider_id=OUT1)],
    "unknown__template_status": [{"type": "Ignored",
                                  "event_type": "message_template_status_update"}],
    "unknown__quality_update": [{"type": "Ignored", "event_type": "phone_number_quality_update"}],
}


@pytest.mark.parametrize("path", fixture_files("whatsapp"), ids=lambda p: p.stem)
def test_every_fixture_parses_to_its_expected_events(path):
    assert path.stem in EXPECTED, f"fixture {path.name} has no EXPECTED entry"
    assert_events(connector.parse(json.loads(path.read_bytes())), EXPECTED[path.stem])


def test_every_expectation_has_a_fixture():
    assert set(EXPECTED) == {p.stem for p in fixture_files("whatsapp")}


def test_describes_itself_as_the_documented_kind():
    assert (connector.kind, connector.default_api_base, connector.rate_per_account,
            connector.reply_window_hours) == ("whatsapp", "https://graph.facebook.com/v21.0",
                                              80, 24)
    assert connector.required_credentials() == ("accessToken", "appSecret", "phoneNumberId")


# -- outbound against the emulator ------------------------------------------------------------
def channel_for(graph, **settings) -> ChannelConfig:
    return ChannelConfig(id="ch1", kind="whatsapp", settings={"apiBaseUrl": graph.base_url,
                                                               **settings},
                         credentials={"accessToken": "EAAGtoken", "appSecret": "s3cret",
                                      "phoneNumberId": PNID, "businessAccountId": WABA})


def accepted(mid: str) -> dict:
    """Meta's documented answer to a successful POST /messages."""
    return {"messaging_product": "whatsapp", "contacts": [{"input": ANA, "wa_id": ANA}],
            "messages": [{"id": mid, "message_status": "accepted"}]}


def test_text_send_posts_documented_body_and_returns_message_id(graph, http):
    graph.on("POST", f"/v21.0/{PNID}/messages", json_body=accepted("wamid.OUT1"))
    result = connector.send(channel_for(graph), OutboundMessage(recipient_id=ANA, text="Hola 👋"),
                            http)
    assert result.provider_message_ids == ["wamid.OUT1"]
    sent = graph.requests[0]
    assert sent.headers["Authorization"] == "Bearer EAAGtoken"
    assert sent.json == {"messaging_product": "whatsapp", "recipient_type": "individual",
                         "to": ANA, "type": "text",
                         "text": {"body": "Hola 👋", "preview_url": False}}


def test_reply_carries_context_message_id(graph, http):
    graph.on("POST", f"/v21.0/{PNID}/messages", json_body=accepted("wamid.OUT2"))
    connector.send(channel_for(graph), OutboundMessage(recipient_id=ANA, text="Yes",
                                                       reply_to_provider_id=wamid(3)), http)
    assert graph.requests[0].json["context"] == {"message_id": wamid(3)}


def test_template_send_wraps_language_code(graph, http):
    graph.on("POST", f"/v21.0/{PNID}/messages", json_body=accepted("wamid.T"))
    components = [{"type": "body", "parameters": [{"type": "text", "text": "58213"}]}]
    message = OutboundMessage(recipient_id=ANA, template={
        "name": "order_shipped_v2", "language": "es", "components": components})
    assert connector.send(channel_for(graph), message, http).provider_message_ids == ["wamid.T"]
    assert graph.requests[0].json["template"] == {"name": "order_shipped_v2",
                                                  "language": {"code": "es"},
                                                  "components": components}


def test_media_by_bytes_is_uploaded_then_sent_with_text_as_caption(graph, http):
    graph.on("POST", f"/v21.0/{PNID}/media", json_body={"id": "4490709327384033"})
    graph.on("POST", f"/v21.0/{PNID}/messages", json_body=accepted("wamid.M1"))
    graph.on("POST", f"/v21.0/{PNID}/messages", json_body=accepted("wamid.M2"))
    message = OutboundMessage(recipient_id=ANA, text="Your invoice", media=[
        OutboundMedia(kind="document", content=b"%PDF-1.7 fake", filename="invoice.pdf",
                      mime_type="application/pdf"),
        OutboundMedia(kind="image", url="https://cdn.example.com/box.jpg")])
    result = connector.send(channel_for(graph), message, http)
    assert result.provider_message_ids == ["wamid.M1", "wamid.M2"]
    upload, first, second = graph.requests
    assert upload.form == {"messaging_product": "whatsapp", "type": "application/pdf"}
    assert upload.files["file"] == ("invoice.pdf", b"%PDF-1.7 fake", "application/pdf")
    assert first.json["document"] == {"id": "4490709327384033", "caption": "Your invoice",
                                      "filename": "invoice.pdf"}
    assert second.json["image"] == {"link": "https://cdn.example.com/box.jpg"}


def test_text_with_audio_goes_out_as_its_own_message_first(graph, http):
    graph.on("POST", f"/v21.0/{PNID}/messages", json_body=accepted("wamid.A"))
    message = OutboundMessage(recipient_id=ANA, text="Listen", media=[
        OutboundMedia(kind="voice", provider_media_id="953317410288156")])
    assert len(connector.send(channel_for(graph), message, http).provider_message_ids) == 2
    assert [r.json["type"] for r in graph.requests] == ["text", "audio"]
    assert graph.requests[1].json["audio"] == {"id": "953317410288156"}


def test_mark_read_posts_status_read(graph, http):
    graph.on("POST", f"/v21.0/{PNID}/messages", json_body={"success": True})
    assert connector.mark_read(channel_for(graph), wamid(1), http) is True
    assert graph.requests[0].json == {"messaging_product": "whatsapp", "status": "read",
                                      "message_id": wamid(1)}


def test_download_resolves_media_url_then_fetches_bytes_with_token(graph, http):
    graph.on("GET", "/v21.0/1081231566393284", json_body={
        "messaging_product": "whatsapp", "url": graph.base_url.replace("/v21.0", "/files/abc.jpg"),
        "mime_type": "image/jpeg", "sha256": "x", "file_size": 9, "id": "1081231566393284"})
    graph.on("GET", "/files/abc.jpg", body=b"\xff\xd8jpegdata", headers={
        "Content-Type": "image/jpeg"})
    media = MediaRef(kind="image", provider_media_id="1081231566393284")
    downloaded = connector.download_media(channel_for(graph), media, http)
    assert downloaded.content == b"\xff\xd8jpegdata" and downloaded.mime_type == "image/jpeg"
    assert graph.requests[1].headers["Authorization"] == "Bearer EAAGtoken"


def test_download_refuses_media_over_the_cap(graph, http):
    graph.on("GET", "/v21.0/999", json_body={"url": f"{graph.base_url}/x", "id": "999",
                                             "mime_type": "video/mp4",
                                             "file_size": 101 * 1024 * 1024})
    with pytest.raises(MediaTooLargeError):
        connector.download_media(channel_for(graph), MediaRef(kind="video",
                                                              provider_media_id="999"), http)
    assert len(graph.requests) == 1  # the file itself was never fetched


def test_sync_templates_follows_paging(graph, http):
    graph.on("GET", f"/v21.0/{WABA}/message_templates", json_body={
        "data": [{"name": "order_shipped_v2", "status": "APPROVED", "language": "es"}],
        "paging": {"next": f"{graph.base_url}/{WABA}/message_templates2"}})
    graph.on("GET", f"/v21.0/{WABA}/message_templates2", json_body={
        "data": [{"name": "welcome", "status": "PAUSED", "language": "en_US"}], "paging": {}})
    names = [t["name"] for t in connector.sync_templates(channel_for(graph), http)]
    assert names == ["order_shipped_v2", "welcome"]


def test_phone_number_info_asks_for_quality_fields(graph, http):
    info = {"quality_rating": "GREEN", "messaging_limit_tier": "TIER_1K",
            "display_phone_number": "+1 555-078-3881", "verified_name": "Ferretería Lucía",
            "id": PNID}
    graph.on("GET", f"/v21.0/{PNID}", json_body=info)
    assert connector.phone_number_info(channel_for(graph), http) == info
    assert "quality_rating" in graph.requests[0].args["fields"]


# -- error classification ------------------------------------------------------------------------
TRANSIENT = [(1, 500), (2, 503), (4, 400), (80007, 400), (130429, 400), (131000, 500),
             (131016, 503), (131056, 400), (131057, 400), (133004, 400)]
PERMANENT = [(131047, 400), (131026, 400), (131048, 400), (131049, 400), (190, 401),
             (368, 403), (100, 400), (132000, 400), (132001, 404), (132012, 400), (10, 400),
             (131051, 400)]


@pytest.mark.parametrize("code,http_status", TRANSIENT)
def test_transient_codes_raise_transient_error(graph, http, code, http_status):
    graph.on("POST", f"/v21.0/{PNID}/messages", status=http_status,
             json_body=graph_error(code, "Temporary problem", details="Please retry later"))
    with pytest.raises(TransientSendError) as caught:
        connector.send(channel_for(graph), OutboundMessage(recipient_id=ANA, text="x"), http)
    assert caught.value.code == str(code)
    assert caught.value.reason == f"Temporary problem; Please retry later (code {code})"


@pytest.mark.parametrize("code,http_status", PERMANENT)
def test_permanent_codes_raise_permanent_error(graph, http, code, http_status):
    graph.on("POST", f"/v21.0/{PNID}/messages", status=http_status,
             json_body=graph_error(code, "(#%d) Not allowed" % code))
    with pytest.raises(PermanentSendError) as caught:
        connector.send(channel_for(graph), OutboundMessage(recipient_id=ANA, text="x"), http)
    assert caught.value.code == str(code) and caught.value.http_status == http_status
    assert not caught.value.transient


def test_plain_500_is_transient_and_other_4xx_permanent(graph, http):
    graph.on("POST", f"/v21.0/{PNID}/messages", status=500, body=b"<html>oops</html>")
    graph.on("POST", f"/v21.0/{PNID}/messages", status=404, json_body={"error": {
        "message": "Unsupported post request", "code": 803}})
    message = OutboundMessage(recipient_id=ANA, text="x")
    with pytest.raises(TransientSendError):
        connector.send(channel_for(graph), message, http)
    with pytest.raises(PermanentSendError):
        connector.send(channel_for(graph), message, http)


def test_429_honours_retry_after(graph, http):
    graph.on("POST", f"/v21.0/{PNID}/messages", status=429, headers={"Retry-After": "37"},
             json_body=graph_error(80008, "Rate limit hit"))
    with pytest.raises(TransientSendError) as caught:
        connector.send(channel_for(graph), OutboundMessage(recipient_id=ANA, text="x"), http)
    assert caught.value.retry_after == 37.0 and caught.value.http_status == 429


def test_is_transient_flag_wins_over_a_4xx(graph, http):
    graph.on("POST", f"/v21.0/{PNID}/messages", status=400,
             json_body=graph_error(99999, "Odd but retriable", is_transient=True))
    with pytest.raises(TransientSendError):
        connector.send(channel_for(graph), OutboundMessage(recipient_id=ANA, text="x"), http)


def test_timeout_is_transient(graph, http):
    graph.on("POST", f"/v21.0/{PNID}/messages", json_body=accepted("late"), delay=1.5)
    with pytest.raises(TransientSendError) as caught:
        connector.send(channel_for(graph, httpTimeout=0.3),
                       OutboundMessage(recipient_id=ANA, text="x"), http)
    assert caught.value.code == "network"


def test_connection_refused_is_transient(http):
    channel = ChannelConfig(id="c", kind="whatsapp", credentials={
        "accessToken": "t", "phoneNumberId": PNID}, settings={"apiBaseUrl": "http://127.0.0.1:9"})
    with pytest.raises(TransientSendError):
        connector.send(channel, OutboundMessage(recipient_id=ANA, text="x"), http)
