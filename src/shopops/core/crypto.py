"""Encryption of PII at rest (AES-256-GCM) and keyed digests for looking encrypted values up.

Keys come from FIELD_ENCRYPTION_KEYS (comma-separated urlsafe-base64 32-byte keys; the first
encrypts, every one decrypts, so keys can be rotated). Without it, development derives a key from
SECRET_KEY, which is why production must set both (docs/configuration.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

PREFIX = "enc1:"


class DecryptionError(ValueError):
    pass


def _derive(label: str) -> bytes:
    return hashlib.sha256(f"shopops:{label}:{settings.SECRET_KEY}".encode()).digest()


@lru_cache(maxsize=8)
def _keys(raw: tuple[str, ...]) -> tuple[bytes, ...]:
    if not raw:
        return (_derive("field-encryption"),)
    keys = tuple(base64.urlsafe_b64decode(k + "=" * (-len(k) % 4)) for k in raw)
    if any(len(k) != 32 for k in keys):
        raise ValueError("every FIELD_ENCRYPTION_KEYS entry must decode to 32 bytes")
    return keys


def encryption_keys() -> tuple[bytes, ...]:
    return _keys(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(encryption_keys()[0]).encrypt(nonce, plaintext.encode(), None)
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt(token: str) -> str:
    if not token.startswith(PREFIX):
        raise DecryptionError("not an encrypted value")
    blob = base64.urlsafe_b64decode(token[len(PREFIX) :])
    nonce, sealed = blob[:12], blob[12:]
    for key in encryption_keys():
        try:
            return AESGCM(key).decrypt(nonce, sealed, None).decode()
        except Exception:  # noqa: S112 - wrong key: try the next one during rotation
            continue
    raise DecryptionError("no key could decrypt this value")


def digest(value: str, *, purpose: str) -> str:
    """Deterministic keyed digest, so an encrypted column can still be found by equality."""
    key = _derive(f"digest:{purpose}")
    return hmac.new(key, value.strip().lower().encode(), hashlib.sha256).hexdigest()


def generate_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
