"""Downloading a provider's media into attachment storage, filling the pending Attachment row."""
from __future__ import annotations

import logging

import requests

from connectors.base import PermanentSendError
from connectors.registry import get_connector
from hub.attachments import write_file
from hub.channel_config import channel_config
from hub.db import transaction
from hub.errors import HubError
from hub.events import MediaRef
from hub.models import Attachment, Channel, Message
from hub.presenters import message_dict
from hub.realtime import publish_after_commit
from hub.settings import get_settings

log = logging.getLogger("hub.media")

# Kinds whose bytes must sniff as media: a text or HTML answer is a provider error page.
MEDIA_KINDS = ("image", "video", "audio", "voice", "sticker")
# Sniffed types that are never the media a provider promised.
NOT_MEDIA = ("text/plain", "text/html")


class MediaDownloadFailed(Exception):
    """Retrying the download cannot help (too large, wrong type, gone at the provider)."""


def download_attachment(attachment_id: str) -> str:
    """Fetch the file of a pending attachment; returns the row's final status.

    Transient provider errors raise (the job retries); permanent ones mark the row failed.
    """
    attachment = Attachment.get_or_none(Attachment.id == attachment_id)
    if attachment is None or attachment.status == "ready" or attachment.message_id is None:
        return attachment.status if attachment else "missing"
    message = Message.get_by_id(attachment.message_id)
    channel = Channel.get_by_id(message.channel_id)
    ref = MediaRef(kind=attachment.kind, provider_media_id=attachment.provider_media_id,
                   url=attachment.source_url, filename=attachment.name,
                   mime_type=None if attachment.content_type == "application/octet-stream"
                   else attachment.content_type)
    try:
        with requests.Session() as http:
            media = get_connector(channel.kind).download_media(channel_config(channel), ref, http)
        if len(media.content) > get_settings().max_upload_bytes:
            raise MediaDownloadFailed(f"file of {len(media.content)} bytes exceeds the limit")
        fields = write_file(attachment.company_id, attachment.id, media.content,
                            media.filename or attachment.name, kind=attachment.kind)
        if attachment.kind in MEDIA_KINDS and fields["content_type"] in NOT_MEDIA:
            raise MediaDownloadFailed(f"a {attachment.kind} answered as {fields['content_type']}")
        if fields["content_type"] == "application/octet-stream" and media.mime_type:
            fields["content_type"] = media.mime_type  # formats we cannot sniff: trust the provider
    except (PermanentSendError, MediaDownloadFailed, HubError, ValueError) as exc:
        mark_failed(attachment.id, str(exc))
        return "failed"
    with transaction():
        Attachment.update(status="ready", error=None, **fields).where(
            Attachment.id == attachment.id).execute()
        _publish(message)
    return "ready"


def mark_failed(attachment_id: str, error: str) -> None:
    """The file will not come: say why on the row, and show it on the message."""
    with transaction():
        updated = Attachment.update(status="failed", error=error[:2000]).where(
            (Attachment.id == attachment_id) & (Attachment.status == "pending")).execute()
        attachment = Attachment.get_by_id(attachment_id)
        if updated and attachment.message_id:
            _publish(Message.get_by_id(attachment.message_id))
    log.warning("media download failed attachment=%s error=%s", attachment_id, error)


def _publish(message: Message) -> None:
    publish_after_commit(message.company_id, "message.updated", message_dict(message),
                         conversation_id=message.conversation_id)
