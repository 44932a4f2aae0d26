"""Typed results of the Prometheus HTTP API and a strict parser for them.

Prometheus answers ``{"status": "success", "data": {"resultType": ..., "result": ...}}``
with every sample value as a *string* (``"67.351"``, ``"NaN"``, ``"+Inf"``). The
parser validates the shape strictly and turns anything unexpected into
:class:`PrometheusBadResponse`, so callers only ever see well-formed data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from clusters.prometheus.errors import (
    PrometheusBadQuery,
    PrometheusBadResponse,
    PrometheusError,
    PrometheusTimeout,
    PrometheusUnavailable,
)

RESULT_TYPES = ("vector", "matrix", "scalar", "string")

# --- DCGM "blank" sentinels ---------------------------------------------------
# DCGM reports a field it has no value for (unsupported, not found, not
# permissioned) as a sentinel: DCGM_INT32_BLANK = 0x7ffffff0 (2147483632),
# DCGM_INT64_BLANK = 0x7ffffffffffffff0 and DCGM_FP64_BLANK = 2**47, each followed
# by a few related codes (NOT_FOUND = +1, NOT_SUPPORTED = +2, NOT_PERMISSIONED = +3).
#
# dcgm-exporter (docs/EXPORTERS.md)
# say current exporters *skip* blank values, so the series is simply absent; the
# checks below are defence in depth for older exporters and other DCGM paths.
#
# The int32 and fp64 sentinels are checked as narrow *windows*, not as ">= x"
# thresholds: sums of legitimate counters exceed 2**47 in practice (a year of a
# 1,000-GPU fleet's DCGM energy counters is ~2e16 mJ; a busy node's network byte
# counter passes 1.4e14 in weeks), and nulling those would be a silent bug. A value
# of 2**63 or more cannot be a real int64 reading, so that one is a threshold.
DCGM_INT32_BLANK = 0x7FFFFFF0
DCGM_INT32_MAX = 0x7FFFFFFF
DCGM_INT64_BLANK = 0x7FFFFFFFFFFFFFF0
DCGM_FP64_BLANK = 140737488355328.0  # 2**47
_FP64_BLANK_WINDOW = 16.0  # the blank codes are BLANK..BLANK+3; allow the int32-sized window

# float(0x7ffffffffffffff0) rounds to 2**63: every int64 sentinel parses to >= this.
_INT64_BLANK_FLOAT = float(DCGM_INT64_BLANK)


def is_dcgm_blank(value: float) -> bool:
    """True if ``value`` is one of DCGM's blank sentinels (see the comment above)."""
    if value >= _INT64_BLANK_FLOAT:
        return True
    if DCGM_INT32_BLANK <= value <= DCGM_INT32_MAX and value == int(value):
        return True
    return DCGM_FP64_BLANK <= value < DCGM_FP64_BLANK + _FP64_BLANK_WINDOW


def is_nan_text(text: str | None) -> bool:
    """True if a raw Prometheus value is NaN (e.g. an IPMI sensor state "unknown")."""
    return isinstance(text, str) and text.strip().lower() == "nan"


def parse_value(text: str) -> float | None:
    """Parse a Prometheus sample value; NaN, ±Inf and DCGM blanks become ``None``.

    ``None`` means "no usable reading". Callers that must tell NaN (the
    exporter said "unknown") from a missing series keep the raw text
    (:attr:`Sample.raw`) and use :func:`is_nan_text`.
    Raises ValueError when ``text`` is not a number at all.
    """
    if not isinstance(text, str):
        raise ValueError(f"sample value must be a string, got {type(text).__name__}")
    value = float(text)  # accepts "NaN", "+Inf", "-Inf", "1e3"; ValueError otherwise
    if math.isnan(value) or math.isinf(value):
        return None
    if is_dcgm_blank(value):
        return None
    return value


@dataclass(frozen=True)
class Sample:
    """One instant-vector element (or a scalar, with empty labels)."""

    labels: dict[str, str]
    value: float | None
    timestamp: float
    raw: str = ""  # the value as Prometheus sent it ("NaN", "67.351", ...)

    @property
    def is_nan(self) -> bool:
        return is_nan_text(self.raw)


@dataclass(frozen=True)
class Series:
    """One range-vector element: a label set and its ``(timestamp, value)`` points."""

    labels: dict[str, str]
    points: list[tuple[float, float | None]]


@dataclass(frozen=True)
class QueryResult:
    """A parsed ``/api/v1/query`` or ``/api/v1/query_range`` answer.

    ``samples`` is filled for vector and scalar results, ``series`` for matrix
    results; ``string_value`` only for the rarely used string type.
    """

    result_type: str
    samples: list[Sample] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    string_value: str | None = None

    @property
    def scalar(self) -> float | None:
        """The value of a scalar result, or of a one-element vector; else None."""
        if len(self.samples) == 1:
            return self.samples[0].value
        return None


# --- parsing ------------------------------------------------------------------

# errorType -> exception class. bad_data is PromQL we sent (HTTP 400); execution is
# "the expression cannot be executed" (HTTP 422: vector-matching conflicts, too many
# samples), which is also ours to fix, so both are PrometheusBadQuery. A query timeout
# or cancellation inside Prometheus is a timeout; "unavailable" is Prometheus saying so;
# internal / not_found / anything unknown is an answer we cannot use.
_ERROR_TYPES: dict[str, type[PrometheusError]] = {
    "bad_data": PrometheusBadQuery,
    "execution": PrometheusBadQuery,
    "timeout": PrometheusTimeout,
    "canceled": PrometheusTimeout,
    "unavailable": PrometheusUnavailable,
    "internal": PrometheusBadResponse,
}


def error_from_payload(payload: dict, *, cluster: str | None = None) -> PrometheusError:
    """Build the typed error for a ``{"status": "error", ...}`` payload."""
    error_type = payload.get("errorType")
    message = payload.get("error")
    if not isinstance(message, str) or not message:
        message = "Prometheus reported an error without a message"
    exc_class = _ERROR_TYPES.get(error_type if isinstance(error_type, str) else "", PrometheusBadResponse)
    label = error_type if isinstance(error_type, str) and error_type else "error"
    return exc_class(f"Prometheus {label}: {message}", cluster=cluster)


def _bad(what: str, cluster: str | None) -> PrometheusBadResponse:
    return PrometheusBadResponse(f"unexpected Prometheus response: {what}", cluster=cluster)


def _labels(obj: object, cluster: str | None) -> dict[str, str]:
    if not isinstance(obj, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in obj.items()):
        raise _bad("labels must be an object of strings", cluster)
    return dict(obj)


def _pair(obj: object, cluster: str | None) -> tuple[float, str]:
    """Validate a ``[<unix seconds>, "<value>"]`` pair."""
    if not isinstance(obj, list) or len(obj) != 2:
        raise _bad("a sample must be a [timestamp, value] pair", cluster)
    ts, raw = obj
    if isinstance(ts, bool) or not isinstance(ts, int | float) or not isinstance(raw, str):
        raise _bad("a sample must be [number, string]", cluster)
    return float(ts), raw


def _number(raw: str, cluster: str | None) -> float | None:
    try:
        return parse_value(raw)
    except ValueError:
        raise _bad(f"sample value {raw[:40]!r} is not a number", cluster) from None


def _warnings(payload: object, cluster: str | None) -> list[str]:
    found: list[str] = []
    if not isinstance(payload, dict):
        return found
    for key in ("warnings", "infos"):  # "infos" since Prometheus 2.52 (annotations)
        items = payload.get(key)
        if items is None:
            continue
        if not isinstance(items, list) or not all(isinstance(w, str) for w in items):
            raise _bad(f"{key} must be a list of strings", cluster)
        found.extend(items)
    return found


def parse_query_response(payload: object, *, cluster: str | None = None) -> QueryResult:
    """Validate and parse a query / query_range JSON payload.

    Raises the typed error for ``status: error`` payloads and
    :class:`PrometheusBadResponse` for anything that is not the documented shape.
    """
    data = unwrap_data(payload, cluster=cluster)
    if not isinstance(data, dict):
        raise _bad("data must be an object", cluster)
    result_type = data.get("resultType")
    result = data.get("result")
    if result_type not in RESULT_TYPES:
        raise _bad(f"unknown resultType {str(result_type)[:20]!r}", cluster)
    warnings = _warnings(payload, cluster)

    if result_type in ("scalar", "string"):
        ts, raw = _pair(result, cluster)
        if result_type == "string":
            return QueryResult("string", warnings=warnings, string_value=raw)
        return QueryResult("scalar", samples=[Sample({}, _number(raw, cluster), ts, raw)], warnings=warnings)

    if not isinstance(result, list):
        raise _bad("result must be a list", cluster)
    samples: list[Sample] = []
    series: list[Series] = []
    skipped_histograms = False
    for item in result:
        if not isinstance(item, dict):
            raise _bad("each result must be an object", cluster)
        labels = _labels(item.get("metric"), cluster)
        if result_type == "vector":
            if "value" not in item and "histogram" in item:
                # Native histograms carry buckets instead of a value; nothing here reads them.
                skipped_histograms = True
                continue
            ts, raw = _pair(item.get("value"), cluster)
            samples.append(Sample(labels, _number(raw, cluster), ts, raw))
        else:
            values = item.get("values", [])
            if "values" not in item and "histograms" in item:
                skipped_histograms = True
                continue
            if not isinstance(values, list):
                raise _bad("values must be a list", cluster)
            points = []
            for pair in values:
                ts, raw = _pair(pair, cluster)
                points.append((ts, _number(raw, cluster)))
            series.append(Series(labels, points))
    if skipped_histograms:
        warnings.append("native histogram samples were ignored")
    return QueryResult(result_type, samples=samples, series=series, warnings=warnings)


def unwrap_data(payload: object, *, cluster: str | None = None) -> object:
    """Check the ``status`` envelope and return ``data``; raise typed errors on ``status: error``."""
    if not isinstance(payload, dict):
        raise _bad("not a JSON object", cluster)
    status = payload.get("status")
    if status == "error":
        raise error_from_payload(payload, cluster=cluster)
    if status != "success":
        raise _bad(f"status {str(status)[:20]!r}", cluster)
    if "data" not in payload:
        raise _bad("missing data", cluster)
    return payload["data"]


def parse_string_list(payload: object, *, cluster: str | None = None) -> list[str]:
    """Parse a label-values answer (``data`` is a list of strings)."""
    data = unwrap_data(payload, cluster=cluster)
    if data is None:  # some backends send null for "no values"
        return []
    if not isinstance(data, list) or not all(isinstance(v, str) for v in data):
        raise _bad("data must be a list of strings", cluster)
    return list(data)


def parse_series_list(payload: object, *, cluster: str | None = None) -> list[dict[str, str]]:
    """Parse a ``/api/v1/series`` answer (``data`` is a list of label sets)."""
    data = unwrap_data(payload, cluster=cluster)
    if data is None:
        return []
    if not isinstance(data, list):
        raise _bad("data must be a list", cluster)
    return [_labels(item, cluster) for item in data]
