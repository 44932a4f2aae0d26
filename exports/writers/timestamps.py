"""ISO 8601 text of Unix timestamps, memoised: an export repeats the same few thousand instants."""

from __future__ import annotations

from datetime import UTC, datetime


class IsoCache:
    """``ts -> "2026-11-01T00:00:00Z"``; each distinct instant is formatted once."""

    def __init__(self) -> None:
        self._cache: dict[float, str] = {}

    def __call__(self, ts: float | None) -> str | None:
        if ts is None:
            return None
        text = self._cache.get(ts)
        if text is None:
            moment = datetime.fromtimestamp(ts, tz=UTC)
            text = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
            if len(self._cache) < 1_000_000:  # bounded, whatever the export
                self._cache[ts] = text
        return text

    def column(self, values: list) -> list:
        return [self(v) for v in values]
