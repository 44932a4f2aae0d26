"""API key material: how keys are generated, hashed and shown to humans.

Kept apart from the model so the format lives in one place and can be tested
without a database.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

#: Every key starts with this, so a leaked key is recognisable (secret scanners,
#: log scrubbers) and a wrong kind of credential fails fast.
KEY_PREFIX = "kc_"
#: Random bytes behind a key: 32 bytes = 256 bits, 43 url-safe characters.
KEY_RANDOM_BYTES = 32
#: How many leading characters of a key are stored in clear to let people tell
#: their tokens apart ("kc_" plus five random characters: not enough to guess).
DISPLAY_PREFIX_LENGTH = 8
#: A generous upper bound: anything longer is not one of our keys, and refusing
#: it early keeps hashing cheap for garbage input.
MAX_KEY_LENGTH = 200


def generate_key() -> str:
    """Return a new random plaintext key, ``kc_`` + ``token_urlsafe(32)`` (46 characters)."""
    return KEY_PREFIX + secrets.token_urlsafe(KEY_RANDOM_BYTES)


def hash_key(key: str) -> str:
    """Return the sha256 hex digest stored for ``key``.

    An unsalted fast hash is the right tool here, unlike for passwords: the key
    carries 256 random bits, so neither a dictionary nor a brute-force attack on
    a stolen hash is feasible, and a deterministic hash lets us find the token
    with one indexed lookup instead of checking a slow KDF against every row.
    """
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def display_prefix(key: str) -> str:
    """Return the part of a key that is stored in clear and shown to humans."""
    return key[:DISPLAY_PREFIX_LENGTH]


def looks_like_key(key: str) -> bool:
    """Cheap shape check before any hashing or database work."""
    return key.startswith(KEY_PREFIX) and DISPLAY_PREFIX_LENGTH < len(key) <= MAX_KEY_LENGTH


def hashes_match(stored_hash: str, candidate_hash: str) -> bool:
    """Constant-time comparison of two hex digests."""
    return hmac.compare_digest(stored_hash.encode("ascii"), candidate_hash.encode("ascii"))
