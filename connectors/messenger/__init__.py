"""Facebook Messenger connector: a page's conversations through the Send API."""
from __future__ import annotations

from connectors.meta_messaging import MessagingProfile, MetaMessagingConnector

# Messenger reports reads as a watermark and accepts uploaded files as multipart `filedata`.
PROFILE = MessagingProfile(kind="messenger", webhook_object="page", account_credential="pageId",
                           read_by_mid=False, supports_upload=True)

connector = MetaMessagingConnector(PROFILE)
