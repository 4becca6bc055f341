"""Encryption at rest for channel credentials and widget secrets (Fernet, key from SECRET_KEY)."""
from __future__ import annotations

import base64
import hashlib
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from hub.settings import get_settings


@lru_cache(maxsize=4)
def _fernet(secret_key: str) -> Fernet:
    # A derived key, so the signing secret of JWTs is never used directly as an encryption key.
    digest = hashlib.sha256(b"hub-credentials:" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(plaintext: str) -> str:
    return _fernet(get_settings().secret_key).encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet(get_settings().secret_key).decrypt(token.encode()).decode()
    except InvalidToken as exc:  # SECRET_KEY changed: the credentials must be entered again
        raise ValueError("credentials cannot be decrypted with the current SECRET_KEY") from exc


def encrypt_json(value: Any) -> str:
    return encrypt(json.dumps(value))


def decrypt_json(token: str) -> Any:
    return json.loads(decrypt(token)) if token else {}


def mask(secret: str) -> str:
    """What the API shows of a secret: enough to recognise it, never enough to use it."""
    if not secret:
        return ""
    return "•" * 4 + secret[-4:] if len(secret) > 8 else "•" * 4
