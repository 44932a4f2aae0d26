"""UTC time helpers: every timestamp we emit is ISO 8601 UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def isoformat(value: datetime | None) -> str | None:
    """Format an aware datetime as ISO 8601 UTC with a ``Z`` suffix (None stays None)."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def from_unix(seconds: float) -> datetime:
    """Convert a Unix timestamp (Prometheus' format) to an aware UTC datetime."""
    return datetime.fromtimestamp(seconds, tz=UTC)
