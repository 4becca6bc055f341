"""Send API tests shared by Messenger and Instagram: same client, different profile."""
from __future__ import annotations

import pytest

from connectors.base import (ChannelConfig, OutboundMedia, OutboundMessage, PermanentSendError,
                             TransientSendError)
from connectors.meta import MediaTooLargeError
from hub.events import MediaRef
from tests.connectors.conftest import graph_error

SEND_PATH = "/v21.0/me/messages"


def channel_for(connector, graph, **settings) -> ChannelConfig:
    credentials = {"accessToken": "EAAPagetoken", "appSecret": "s3cret",
                   connector.profile.account_credential: "107749458413722"}
    return ChannelConfig(id="c1", kind=connector.kind, credentials=credentials,
                         settings={"apiBaseUrl": graph.base_url, **settings})


def check_text_send_is_a_response(connector, graph, http, recipient):
    graph.on("POST", SEND_PATH, json_body={"recipient_id": recipient, "message_id": "mid.$a1"})
    result = connector.send(channel_for(connector, graph),
                            OutboundMessage(recipient_id=recipient, text="Olá 👋"), http)
    assert result.provider_message_ids == ["mid.$a1"]
    sent = graph.requests[0]
    assert sent.headers["Authorization"] == "Bearer EAAPagetoken"
    assert sent.json == {"recipient": {"id": recipient}, "messaging_type": "RESPONSE",
                         "message": {"text": "Olá 👋"}}


def check_human_agent_tag(connector, graph, http, recipient):
    graph.on("POST", SEND_PATH, json_body={"recipient_id": recipient, "message_id": "mid.$t"})
    connector.send(channel_for(connector, graph),
                   OutboundMessage(recipient_id=recipient, text="Late answer", tag="HUMAN_AGENT"),
                   http)
    body = graph.requests[0].json
    assert (body["messaging_type"], body["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")
    assert connector.human_agent_window_hours == 168 and connector.reply_window_hours == 24


def check_text_then_attachment_by_url(connector, graph, http, recipient):
    graph.on("POST", SEND_PATH, json_body={"recipient_id": recipient, "message_id": "mid.$1"})
    graph.on("POST", SEND_PATH, json_body={"recipient_id": recipient, "message_id": "mid.$2"})
    message = OutboundMessage(recipient_id=recipient, text="Photo:", media=[
        OutboundMedia(kind="image", url="https://cdn.example.com/shirt.jpg")])
    result = connector.send(channel_for(connector, graph), message, http)
    assert result.provider_message_ids == ["mid.$1", "mid.$2"]
    assert graph.requests[1].json["message"] == {"attachment": {"type": "image", "payload": {
        "url": "https://cdn.example.com/shirt.jpg", "is_reusable": True}}}


def check_download_fetches_attachment_url(connector, graph, http):
    graph.on("GET", "/cdn/photo.jpg", body=b"\xff\xd8photo", headers={"Content-Type":
                                                                      "image/jpeg"})
    url = graph.base_url.replace("/v21.0", "/cdn/photo.jpg")
    got = connector.download_media(channel_for(connector, graph),
                                   MediaRef(kind="image", url=url), http)
    assert (got.content, got.mime_type) == (b"\xff\xd8photo", "image/jpeg")


def check_download_cap(connector, graph, http, monkeypatch):
    """A file over the cap is refused (the cap is shrunk so the test stays small)."""
    monkeypatch.setattr("connectors.meta.MAX_MEDIA_BYTES", 1000)
    graph.on("GET", "/cdn/huge.mp4", body=b"v" * 1001, headers={"Content-Type": "video/mp4"})
    graph.on("GET", "/cdn/ok.mp4", body=b"v" * 1000, headers={"Content-Type": "video/mp4"})
    channel = channel_for(connector, graph)
    with pytest.raises(MediaTooLargeError):
        connector.download_media(channel, MediaRef(kind="video", url=graph.base_url.replace(
            "/v21.0", "/cdn/huge.mp4")), http)
    ok = connector.download_media(channel, MediaRef(kind="video", url=graph.base_url.replace(
        "/v21.0", "/cdn/ok.mp4")), http)
    assert len(ok.content) == 1000


# (HTTP status, Graph error body or None, headers, expected error class)
ERROR_CASES = [
    (500, None, {}, TransientSendError),
    (503, graph_error(2, "Service temporarily unavailable"), {}, TransientSendError),
    (400, graph_error(1200, "Temporary send message failure. Please try again later."), {},
     TransientSendError),
    (400, graph_error(613, "Calls to this api have exceeded the rate limit."), {},
     TransientSendError),
    (400, graph_error(10, "(#10) This message is sent outside of allowed window.",
                      subcode=2018278), {}, PermanentSendError),
    (400, graph_error(551, "This person isn't available right now.", subcode=1545041), {},
     PermanentSendError),
    (400, graph_error(100, "(#100) No matching user found", subcode=2018001), {},
     PermanentSendError),
    (401, graph_error(190, "Error validating access token: Session has expired"), {},
     PermanentSendError),
    (400, graph_error(9999, "Odd", is_transient=True), {}, TransientSendError),
]


def check_error(connector, graph, http, status, body, headers, expected):
    graph.on("POST", SEND_PATH, status=status, json_body=body, headers=headers,
             body=b"upstream error" if body is None else None)
    with pytest.raises(expected) as caught:
        connector.send(channel_for(connector, graph), OutboundMessage(recipient_id="1", text="x"),
                       http)
    assert type(caught.value) is expected and caught.value.http_status == status
    if body:
        assert body["error"]["message"] in caught.value.reason


def check_retry_after(connector, graph, http):
    graph.on("POST", SEND_PATH, status=429, headers={"Retry-After": "12"},
             json_body=graph_error(4, "(#4) Application request limit reached"))
    with pytest.raises(TransientSendError) as caught:
        connector.send(channel_for(connector, graph), OutboundMessage(recipient_id="1", text="x"),
                       http)
    assert caught.value.retry_after == 12.0


def check_timeout(connector, graph, http):
    graph.on("POST", SEND_PATH, json_body={"message_id": "late"}, delay=1.5)
    with pytest.raises(TransientSendError):
        connector.send(channel_for(connector, graph, httpTimeout=0.3),
                       OutboundMessage(recipient_id="1", text="x"), http)
