"""One device over time: power and energy over a window, and time series of instant fields.

Both start from :func:`accelerators.services.inventory.find` (which cluster has
the device, its vendor) and then send **one** request to that cluster.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from accelerators import queries
from accelerators.devices import Gpu, Npu
from accelerators.services.inventory import Found
from clusters.prometheus.cache import RANGE, SUMMARY, cached_query, cached_query_range
from clusters.prometheus.client import client_for
from clusters.prometheus.promql import promql_duration
from kcloud.api.params import TimeRange
from kcloud.timeutil import from_unix

J_PER_KWH = 3.6e6
# Resolution of the NPU power integral: the clusters' scrape interval (Prometheus' smallest useful step).
INTEGRAL_STEP_SECONDS = 30
ENERGY_SOURCES = ("counter", "gauge_integral")


@dataclass
class DevicePower:
    """Power of one device now and over a window, and the energy it used in that window."""

    uuid: str
    kind: str
    vendor: str
    cluster: str
    window: str
    window_seconds: int
    start: datetime
    end: datetime
    power_watts: float | None
    avg_power_watts: float | None
    min_power_watts: float | None
    max_power_watts: float | None
    energy_joules: float | None
    energy_kwh: float | None
    energy_source: str  # counter | gauge_integral
    samples: int | None  # raw power samples in the window


def power(found: Found, window_seconds: int, *, end: float | None = None) -> DevicePower:
    """Now / avg / min / max power and energy over ``[end - window, end]`` in one request.

    GPU energy is ``increase()`` of DCGM's millijoule counter: a counter reset
    (driver reload) is handled by Prometheus, so it is never negative nor doubled.
    NPUs have no energy counter: their power gauge is integrated with a subquery
    at the scrape interval (``sum_over_time(P[w-30s:30s]) * 30``: a subquery includes both ends).
    """
    device = found.device
    t = found.evaluated_at if end is None else float(end)
    window = promql_duration(window_seconds)
    step = promql_duration(INTEGRAL_STEP_SECONDS)
    grid = promql_duration(max(window_seconds - INTEGRAL_STEP_SECONDS, INTEGRAL_STEP_SECONDS))
    expr = queries.power_now_and_window(found.cluster.scope, device.kind, device.uuid, window, step, grid)
    result = cached_query(client_for(found.cluster), expr, SUMMARY, time=t)
    stats = {s.labels.get("stat"): s.value for s in result.samples}
    energy_source = "counter" if device.kind == "gpu" else "gauge_integral"
    raw_energy = stats.get("energy")
    if raw_energy is None:
        joules = None
    elif device.kind == "gpu":
        joules = max(0.0, raw_energy) / 1000.0  # DCGM counts millijoules
    else:
        joules = raw_energy * INTEGRAL_STEP_SECONDS
    samples = stats.get("samples")
    return DevicePower(
        uuid=device.uuid,
        kind=device.kind,
        vendor=device.vendor,
        cluster=device.cluster,
        window=window,
        window_seconds=window_seconds,
        start=from_unix(t - window_seconds),
        end=from_unix(t),
        power_watts=stats.get("now"),
        avg_power_watts=stats.get("avg"),
        min_power_watts=stats.get("min"),
        max_power_watts=stats.get("max"),
        energy_joules=joules,
        energy_kwh=None if joules is None else joules / J_PER_KWH,
        energy_source=energy_source,
        samples=None if samples is None else int(samples),
    )


@dataclass
class DeviceSeries:
    """One instant field of one device as a time series (``timestamps`` in unix seconds)."""

    uuid: str
    kind: str
    cluster: str
    metric: str
    start: datetime
    end: datetime
    step_seconds: int
    timestamps: list[float]
    values: list[float | None]


def gpu_metrics() -> tuple[str, ...]:
    """The GPU fields a time series can be asked for."""
    return tuple(queries.GPU_SERIES)


def npu_metrics() -> tuple[str, ...]:
    """The NPU fields a time series can be asked for."""
    return queries.NPU_SERIES_METRICS


def series(found: Found, metric: str, time_range: TimeRange) -> DeviceSeries:
    """``metric`` of the found device between ``time_range.start`` and ``.end`` (one range query).

    A field the device's exporter does not report (e.g. Furiosa memory) is an
    empty series, not zeros.
    """
    device = found.device
    scope = found.cluster.scope
    scale = 1.0
    if isinstance(device, Gpu):
        expr = queries.gpu_series(scope, device.uuid, metric)
    else:
        assert isinstance(device, Npu)
        expr = queries.npu_series(scope, device.uuid, metric, device.vendor)
        if metric.startswith("memory_"):
            scale = device.memory_unit_bytes / 2**20
    timestamps: list[float] = []
    values: list[float | None] = []
    if expr:
        result = cached_query_range(
            client_for(found.cluster),
            expr,
            time_range.start.timestamp(),
            time_range.end.timestamp(),
            time_range.step_seconds,
            RANGE,
        )
        if result.series:
            for ts, value in result.series[0].points:
                timestamps.append(ts)
                values.append(None if value is None else value * scale)
    return DeviceSeries(
        uuid=device.uuid,
        kind=device.kind,
        cluster=device.cluster,
        metric=metric,
        start=time_range.start,
        end=time_range.end,
        step_seconds=time_range.step_seconds,
        timestamps=timestamps,
        values=values,
    )
