"""Instagram messaging connector: an Instagram professional account's DMs via the Send API."""
from __future__ import annotations

from connectors.meta_messaging import MessagingProfile, MetaMessagingConnector

# Instagram reports reads per message (`read.mid`) and only sends media by public URL.
PROFILE = MessagingProfile(kind="instagram", webhook_object="instagram",
                           account_credential="igUserId", read_by_mid=True,
                           supports_upload=False)

connector = MetaMessagingConnector(PROFILE)
