"""The bridge from a Channel row to the ChannelConfig a connector receives (secrets decrypted)."""
from __future__ import annotations

from connectors.base import ChannelConfig
from hub.crypto import decrypt, decrypt_json
from hub.models import Channel


def channel_config(channel: Channel) -> ChannelConfig:
    return ChannelConfig(
        id=channel.id,
        kind=channel.kind,
        credentials=decrypt_json(channel.credentials_encrypted),
        settings=dict(channel.settings or {}),
        verify_token=channel.verify_token,
        secret_token=decrypt(channel.secret_token_encrypted)
        if channel.secret_token_encrypted else None,
    )
