"""Budget periods in UTC: the day, the ISO week (from Monday) and the calendar month."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def bounds(period: str, now: datetime) -> tuple[datetime, datetime]:
    """``(start, end)`` of the period that contains ``now`` (UTC)."""
    now = now.astimezone(UTC)
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day, day + timedelta(days=1)
    if period == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=7)
    if period == "month":
        start = day.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
        return start, end
    raise ValueError(f"unknown period {period!r}")
