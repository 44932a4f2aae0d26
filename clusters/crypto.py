"""Credentials at rest: Fernet encryption with key rotation (MultiFernet).

The database only ever holds ciphertext. Keys come from
``KCLOUD_CREDENTIALS_KEY`` (newest first); encryption uses the newest, decryption
tries each, and :func:`rotate` re-encrypts a token under the newest key.
"""

from __future__ import annotations

import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class CredentialDecryptionError(Exception):
    """A stored credential cannot be decrypted with any configured key (permanent)."""

    permanent = True


@functools.cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _current() -> MultiFernet:
    # Keyed by the tuple so tests that override settings get a fresh MultiFernet.
    return _fernet(tuple(settings.KCLOUD_CREDENTIALS_KEYS))


def encrypt(plaintext: str) -> str:
    """Encrypt a secret under the newest key; empty stays empty (no secret set)."""
    if not plaintext:
        return ""
    return _current().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """Decrypt a stored secret; empty stays empty."""
    if not token:
        return ""
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken:
        raise CredentialDecryptionError(
            "A stored credential cannot be decrypted with the configured KCLOUD_CREDENTIALS_KEY."
        ) from None


def rotate(token: str) -> str:
    """Re-encrypt a stored secret under the newest key."""
    if not token:
        return ""
    try:
        return _current().rotate(token.encode()).decode()
    except InvalidToken:
        raise CredentialDecryptionError(
            "A stored credential cannot be decrypted with the configured KCLOUD_CREDENTIALS_KEY."
        ) from None
