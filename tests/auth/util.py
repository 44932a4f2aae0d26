"""Small helpers for the auth tests."""

from __future__ import annotations


def token_header(key: str) -> dict[str, str]:
    """Test-client kwargs carrying ``Authorization: Token <key>``."""
    return {"HTTP_AUTHORIZATION": f"Token {key}"}
