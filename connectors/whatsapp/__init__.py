"""WhatsApp Cloud API connector: webhook parsing plus the Graph calls an agent's send needs."""
from __future__ import annotations

from typing import Any, Callable, Optional

import requests

from connectors.base import (ChannelConfig, DownloadedMedia, OutboundMedia, OutboundMessage,
                             PermanentSendError, SendError, SendResult)
from connectors.meta import (MAX_MEDIA_BYTES, MediaTooLargeError, MetaConnector, fetch_capped,
                             graph_call, http_timeout, json_body)
from connectors.whatsapp.parse import parse as parse_payload
from hub.events import MediaRef, NormalizedEvent

# Outbound media kinds WhatsApp accepts; our "voice" is sent as an audio message.
SEND_TYPES = {"image": "image", "video": "video", "audio": "audio", "voice": "audio",
              "document": "document", "sticker": "sticker"}
# Media types that take no caption: text sent with them goes out as its own message first.
NO_CAPTION = ("audio", "sticker")
# Template list pages followed at most, so a looping `paging.next` cannot hang a sync job.
MAX_TEMPLATE_PAGES = 20


class WhatsAppConnector(MetaConnector):
    """WhatsApp Business Cloud API on the Graph API."""

    kind = "whatsapp"
    rate_per_account = 80
    credential_names = ("accessToken", "appSecret", "phoneNumberId")

    def parse(self, payload: Any) -> list[NormalizedEvent]:
        return parse_payload(payload)

    # -- sending -----------------------------------------------------------------------------
    def _url(self, channel: ChannelConfig, *path: str) -> str:
        return "/".join([channel.api_base(self.default_api_base), *path])

    def _post_message(self, channel: ChannelConfig, http: requests.Session,
                      body: dict[str, Any]) -> str:
        url = self._url(channel, str(channel.credentials["phoneNumberId"]), "messages")
        response = graph_call(http, "POST", url, timeout=http_timeout(channel),
                              headers=self.auth_headers(channel),
                              json={"messaging_product": "whatsapp", **body})
        messages = json_body(response).get("messages") or [{}]
        if not messages[0].get("id"):
            raise PermanentSendError("Graph API accepted the send but returned no message id",
                                     code="no_message_id", http_status=response.status_code)
        return str(messages[0]["id"])

    def upload_media(self, channel: ChannelConfig, media: OutboundMedia,
                     http: requests.Session) -> str:
        """POST the bytes to /{phoneNumberId}/media and return the new media id."""
        mime = media.mime_type or "application/octet-stream"
        url = self._url(channel, str(channel.credentials["phoneNumberId"]), "media")
        response = graph_call(http, "POST", url, timeout=http_timeout(channel),
                              headers=self.auth_headers(channel),
                              data={"messaging_product": "whatsapp", "type": mime},
                              files={"file": (media.filename or "file", media.content, mime)})
        media_id = json_body(response).get("id")
        if not media_id:
            raise PermanentSendError("media upload returned no id", code="no_media_id")
        return str(media_id)

    def _media_body(self, channel: ChannelConfig, media: OutboundMedia,
                    caption: Optional[str], http: requests.Session) -> dict[str, Any]:
        kind = SEND_TYPES.get(media.kind)
        if kind is None:
            raise PermanentSendError(f"WhatsApp cannot send media of kind {media.kind!r}",
                                     code="bad_media_kind")
        media_id = media.provider_media_id
        if not media_id and not media.url:
            if media.content is None:
                raise PermanentSendError("media has no url, id or content", code="empty_media")
            media_id = self.upload_media(channel, media, http)
        item: dict[str, Any] = {"id": media_id} if media_id else {"link": media.url}
        if caption and kind not in NO_CAPTION:
            item["caption"] = caption
        if kind == "document" and media.filename:
            item["filename"] = media.filename
        return {"type": kind, kind: item}

    def _bodies(self, channel: ChannelConfig, msg: OutboundMessage,
                http: requests.Session) -> list[Callable[[], dict[str, Any]]]:
        """One builder per request (a template, media items, or a text), built lazily so a
        retry that skips parts already sent does not upload their media again."""
        if msg.template:
            template = dict(msg.template)
            language = template.get("language") or "en_US"
            if isinstance(language, str):
                template["language"] = {"code": language}
            return [lambda: {"type": "template", "template": template}]
        text_body = {"type": "text", "text": {"body": msg.text, "preview_url": False}}
        if not msg.media:
            if not msg.text:
                raise PermanentSendError("nothing to send", code="empty_message")
            return [lambda: text_body]
        bodies: list[Callable[[], dict[str, Any]]] = []
        text = msg.text
        if text and SEND_TYPES.get(msg.media[0].kind) in NO_CAPTION:
            bodies.append(lambda: text_body)
            text = None
        for index, media in enumerate(msg.media):
            caption = media.caption or (text if index == 0 else None)
            bodies.append(lambda media=media, caption=caption:
                          self._media_body(channel, media, caption, http))
        return bodies

    def send(self, channel: ChannelConfig, message: OutboundMessage,
             http: requests.Session) -> SendResult:
        """One Graph request per body, from `skip_parts` on; the first carries the reply context.

        An error after some parts went out carries their ids in `partial_provider_ids`.
        """
        ids: list[str] = []
        try:
            for index, build in enumerate(self._bodies(channel, message, http)):
                if index < message.skip_parts:
                    continue
                body = {"recipient_type": "individual", "to": message.recipient_id, **build()}
                if message.before_request:
                    message.before_request()
                if index == 0 and message.reply_to_provider_id:
                    body["context"] = {"message_id": message.reply_to_provider_id}
                ids.append(self._post_message(channel, http, body))
        except SendError as exc:
            exc.partial_provider_ids = ids
            raise
        return SendResult(provider_message_ids=ids)

    def mark_read(self, channel: ChannelConfig, provider_message_id: str,
                  http: requests.Session) -> bool:
        """Mark an inbound message read (blue ticks for the customer)."""
        url = self._url(channel, str(channel.credentials["phoneNumberId"]), "messages")
        response = graph_call(http, "POST", url, timeout=http_timeout(channel),
                              headers=self.auth_headers(channel),
                              json={"messaging_product": "whatsapp", "status": "read",
                                    "message_id": provider_message_id})
        return bool(json_body(response).get("success"))

    # -- media and account -------------------------------------------------------------------
    def download_media(self, channel: ChannelConfig, media: MediaRef,
                       http: requests.Session) -> DownloadedMedia:
        """Resolve the media id to a short-lived URL, then fetch it (MediaTooLargeError > cap)."""
        if not media.provider_media_id:
            raise PermanentSendError("WhatsApp media has no id", code="no_media_id")
        info = json_body(graph_call(http, "GET", self._url(channel, media.provider_media_id),
                                    timeout=http_timeout(channel),
                                    headers=self.auth_headers(channel)))
        if int(info.get("file_size") or 0) > MAX_MEDIA_BYTES:
            raise MediaTooLargeError(f"media is {info['file_size']} bytes", code="media_too_large")
        if not info.get("url"):
            raise PermanentSendError("media lookup returned no url", code="no_media_url")
        content, mime = fetch_capped(http, info["url"], timeout=http_timeout(channel),
                                     headers=self.auth_headers(channel))
        return DownloadedMedia(content=content, mime_type=info.get("mime_type") or mime
                               or media.mime_type, filename=media.filename)

    def sync_templates(self, channel: ChannelConfig, http: requests.Session) -> list[dict]:
        """All message templates of the business account (`credentials.businessAccountId`)."""
        waba = channel.credentials.get("businessAccountId")
        if not waba:
            raise PermanentSendError("channel has no businessAccountId", code="no_waba")
        url: Optional[str] = self._url(channel, str(waba), "message_templates")
        templates: list[dict] = []
        for _ in range(MAX_TEMPLATE_PAGES):
            if not url:
                break
            page = json_body(graph_call(http, "GET", url, timeout=http_timeout(channel),
                                        headers=self.auth_headers(channel)))
            templates.extend(page.get("data") or [])
            url = (page.get("paging") or {}).get("next")
        return templates

    def phone_number_info(self, channel: ChannelConfig, http: requests.Session) -> dict:
        """Quality rating, messaging tier and display name of the channel's number."""
        url = self._url(channel, str(channel.credentials["phoneNumberId"]))
        fields = "quality_rating,messaging_limit_tier,display_phone_number,verified_name"
        return json_body(graph_call(http, "GET", url, timeout=http_timeout(channel),
                                    headers=self.auth_headers(channel),
                                    params={"fields": fields}))


connector = WhatsAppConnector()
