"""Validation of path and query parameters, shared by every API view.

Each parser either returns a clean Python value or raises ``BadParameter``
(400 naming the parameter). Nothing from a request reaches PromQL without
passing through one of these first; the PromQL builder escapes on top.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils.dateparse import parse_datetime

from kcloud.api.errors import BadParameter
from kcloud.timeutil import utcnow

# Prometheus refuses range queries above 11,000 points per series.
MAX_POINTS = 11_000
# Default resolution of a chart when the caller gives no step.
DEFAULT_POINTS = 240
# The longest window any endpoint accepts (Prometheus retention in practice).
MAX_WINDOW = timedelta(days=400)

_DURATION_RE = re.compile(r"^(\d+)(s|m|h|d|w)$")
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# Kubernetes names: DNS-1123 subdomain for pods/nodes (lower case, digits, '-', '.').
_K8S_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
# Namespaces and cluster slugs: DNS-1123 label.
_K8S_LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
# Container names: DNS-1123 label too, but we also accept "" (pod cgroup) explicitly elsewhere.
_UUID_RE = re.compile(r"^(GPU-|MIG-)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def parse_duration(name: str, value: str | None, *, default: str | None = None, minimum: int = 1) -> int:
    """``30s``, ``5m``, ``1h``, ``7d``, ``2w`` → seconds."""
    raw = (value or default or "").strip()
    match = _DURATION_RE.match(raw)
    if not match:
        raise BadParameter(name, f"{raw!r} is not a duration like 5m, 1h or 7d.")
    seconds = int(match.group(1)) * _DURATION_UNITS[match.group(2)]
    if seconds < minimum:
        raise BadParameter(name, f"must be at least {minimum} s.")
    if seconds > MAX_WINDOW.total_seconds():
        raise BadParameter(name, f"must be at most {MAX_WINDOW.days} days.")
    return seconds


def parse_time(name: str, value: str | None, *, default: datetime | None = None) -> datetime:
    """ISO 8601 (``2026-11-01T00:00:00Z``) or Unix seconds → aware UTC datetime."""
    if value is None or value == "":
        if default is None:
            raise BadParameter(name, "is required.")
        return default
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        parsed = parse_datetime(value)
        if parsed is None:
            raise BadParameter(name, f"{value!r} is not an ISO 8601 time or Unix seconds.") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    if not math.isfinite(seconds) or not 0 <= seconds < 4_102_444_800:  # before 2100
        raise BadParameter(name, "is out of range.")
    return datetime.fromtimestamp(seconds, tz=UTC)


# How far ahead of our clock a caller's "now" may be (clock skew), before ``time`` is "in the future".
CLOCK_SKEW_SECONDS = 60


def parse_instant(name: str, value: str | None) -> datetime | None:
    """An optional evaluation instant: None when absent, 400 when it lies in the future."""
    if not value:
        return None
    at = parse_time(name, value)
    if at > utcnow() + timedelta(seconds=CLOCK_SKEW_SECONDS):
        raise BadParameter(name, "is in the future.")
    return at


@dataclass(frozen=True)
class TimeRange:
    """A validated ``[start, end]`` with a ``step`` (seconds), aligned to the step."""

    start: datetime
    end: datetime
    step_seconds: int

    @property
    def points(self) -> int:
        return int((self.end - self.start).total_seconds() // self.step_seconds) + 1


def choose_step(span_seconds: float, *, min_step: int, points: int = DEFAULT_POINTS) -> int:
    """A round step giving about ``points`` points, never below ``min_step`` (the scrape interval)."""
    raw = max(span_seconds / max(points, 1), min_step, 1)
    for nice in (1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400):
        if nice >= raw:
            return nice
    return int(math.ceil(raw / 86400) * 86400)


def parse_time_range(
    params: Mapping[str, str],
    *,
    default_span: timedelta = timedelta(hours=24),
    min_step: int = 30,
    now: datetime | None = None,
) -> TimeRange:
    """``start``, ``end`` and optional ``step`` (duration or seconds), validated together.

    ``step`` is chosen automatically when absent; with it given, it may not be
    below ``min_step`` nor produce more than 11,000 points. ``start``/``end``
    are aligned to the step so cached answers of different callers coincide.
    """
    now = now or utcnow()
    end = parse_time("end", params.get("end"), default=now)
    start = parse_time("start", params.get("start"), default=end - default_span)
    if start >= end:
        raise BadParameter("start", "must be before end.")
    if end - start > MAX_WINDOW:
        raise BadParameter("start", f"the window may span at most {MAX_WINDOW.days} days.")
    if end > now + timedelta(minutes=5):
        raise BadParameter("end", "is in the future.")
    span = (end - start).total_seconds()
    raw_step = params.get("step")
    if raw_step:
        step = int(float(raw_step)) if raw_step.replace(".", "", 1).isdigit() else parse_duration("step", raw_step)
        if step < min_step:
            raise BadParameter("step", f"must be at least the scrape interval ({min_step} s).")
    else:
        step = choose_step(span, min_step=min_step)
    aligned_start = datetime.fromtimestamp(math.floor(start.timestamp() / step) * step, tz=UTC)
    aligned_end = datetime.fromtimestamp(math.floor(end.timestamp() / step) * step, tz=UTC)
    if aligned_end <= aligned_start:
        aligned_end = aligned_start + timedelta(seconds=step)
    time_range = TimeRange(aligned_start, aligned_end, step)
    if time_range.points > MAX_POINTS:
        raise BadParameter("step", f"{time_range.points} points exceed the limit of {MAX_POINTS}; use a larger step.")
    return time_range


def parse_choice(name: str, value: str | None, choices: Sequence[str], *, default: str | None = None) -> str:
    """One of ``choices`` (exact match)."""
    if value is None or value == "":
        if default is None:
            raise BadParameter(name, f"is required; one of {', '.join(choices)}.")
        return default
    if value not in choices:
        raise BadParameter(name, f"{value!r} is not one of {', '.join(choices)}.")
    return value


def parse_bool(name: str, value: str | None, *, default: bool | None = None) -> bool | None:
    """``true/false/1/0`` (or absent → default)."""
    if value is None or value == "":
        return default
    lowered = value.lower()
    if lowered in ("1", "true", "yes"):
        return True
    if lowered in ("0", "false", "no"):
        return False
    raise BadParameter(name, f"{value!r} is not a boolean (true/false).")


def parse_float(name: str, value: str | None, *, minimum: float | None = None) -> float | None:
    """A finite number (or absent → None)."""
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except ValueError:
        raise BadParameter(name, f"{value!r} is not a number.") from None
    if not math.isfinite(number):
        raise BadParameter(name, "must be finite.")
    if minimum is not None and number < minimum:
        raise BadParameter(name, f"must be at least {minimum}.")
    return number


def parse_int(name: str, value: str | None, *, minimum: int, maximum: int, default: int | None = None) -> int | None:
    """A whole number within ``[minimum, maximum]`` (or absent → default)."""
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise BadParameter(name, f"{value!r} is not a whole number.") from None
    if not minimum <= number <= maximum:
        raise BadParameter(name, f"must be from {minimum} to {maximum}.")
    return number


def parse_k8s_name(name: str, value: str, *, label: bool = False) -> str:
    """A Kubernetes object name (DNS-1123 subdomain) or, with ``label``, a DNS-1123 label (namespaces)."""
    pattern = _K8S_LABEL_RE if label else _K8S_NAME_RE
    if not isinstance(value, str) or not pattern.match(value):
        kind = "DNS-1123 label" if label else "DNS-1123 name"
        raise BadParameter(name, f"{value!r} is not a valid Kubernetes {kind}.")
    return value


def parse_k8s_names(name: str, values: Iterable[str], *, label: bool = False) -> list[str]:
    """Repeated filter values (``?namespace=a&namespace=b``), each validated, de-duplicated."""
    seen: dict[str, None] = {}
    for value in values:
        seen.setdefault(parse_k8s_name(name, value, label=label), None)
    return list(seen)


def parse_top(value: str | None, *, default: int = 10, maximum: int = 100) -> int:
    """``top``: how many entries of a ranking (1 to ``maximum``)."""
    return parse_int("top", value, minimum=1, maximum=maximum, default=default)


def many(name: str, choices: Sequence[str], values: Iterable[str]) -> tuple[str, ...]:
    """Repeated choice parameter (``?phase=Running&phase=Pending``), duplicates dropped."""
    return tuple(dict.fromkeys(parse_choice(name, v, choices) for v in values if v != ""))


def k8s_many(params: Mapping, name: str, *, label: bool = False) -> tuple[str, ...]:
    """Repeated Kubernetes-name filter, each value validated before any PromQL."""
    return tuple(parse_k8s_names(name, [v for v in params.getlist(name) if v != ""], label=label))


def parse_uuid(name: str, value: str) -> str:
    """A device UUID (``GPU-…``, ``MIG-…`` or a bare UUID); case preserved as the exporter reports it."""
    if not isinstance(value, str) or not _UUID_RE.match(value):
        raise BadParameter(name, f"{value!r} is not a device UUID.")
    return value


def parse_ordering(value: str | None, allowed: Iterable[str], *, default: str | None = None) -> tuple[str, bool] | None:
    """``ordering=-power_watts`` → ``("power_watts", True)`` (descending); field must be allowed."""
    raw = value or default
    if not raw:
        return None
    descending = raw.startswith("-")
    field = raw[1:] if descending else raw
    allowed = list(allowed)
    if field not in allowed:
        raise BadParameter("ordering", f"{field!r} is not orderable; use one of {', '.join(allowed)}.")
    return field, descending


def order_rows(rows: list, ordering: tuple[str, bool] | None, *, key=getattr) -> list:
    """Sort rows by a field; ``None`` values always last, whatever the direction."""
    if ordering is None:
        return rows
    field, descending = ordering
    present = [r for r in rows if key(r, field) is not None]
    missing = [r for r in rows if key(r, field) is None]
    present.sort(key=lambda r: key(r, field), reverse=descending)
    return present + missing


def reject_unknown(params: Mapping[str, str], allowed: Iterable[str]) -> None:
    """400 for query parameters the endpoint does not know (typos must not silently be ignored)."""
    known = set(allowed) | {"format", "page", "page_size"}
    for key in params:
        if key not in known:
            raise BadParameter(key, "is not a parameter of this endpoint.")
