"""The GPU and NPU detail pages: identity, allocation, MIG/partitions, cores, charts over the page's time range."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accelerators.devices import Gpu, Npu
from accelerators.presentation import status_label
from accelerators.services import history, inventory
from clusters.prometheus.errors import PrometheusError
from clusters.scope import Principal, select_clusters
from kcloud import timerange
from kcloud.api.errors import ApiError, BadParameter
from kcloud.api.params import parse_uuid


def _find(request: HttpRequest, kind: str, raw_id: str) -> inventory.Found | HttpResponse:
    """The device, or the page that says why it cannot be shown (404 unknown, 503 cluster down)."""
    try:
        device_id = parse_uuid("uuid" if kind == "gpu" else "id", raw_id)
        clusters = select_clusters(Principal.from_request(request), [])
        return inventory.find(clusters, kind, device_id)
    except ApiError as exc:
        # A malformed id is as unknown as a well-formed one nobody has: both 404.
        status = 404 if isinstance(exc, BadParameter) else exc.status_code
        context = {"kind": kind, "device_id": raw_id, "error": str(exc.detail), "status_code": status}
        return render(request, "accelerators/device_unavailable.html", context, status=status)


def _power_in_range(
    found: inventory.Found, time_range: timerange.PageRange
) -> tuple[history.DevicePower | None, str | None]:
    """Average/min/max power and energy over the page's range; a failure is shown, not raised."""
    try:
        end = time_range.evaluation_instant(found.evaluated_at)
        return history.power(found, time_range.seconds, end=end), None
    except PrometheusError as exc:
        return None, exc.message


# (metrics drawn on one chart, their legend labels, title with unit, unit, message when empty)
_POWER_CHART = (
    "power_watts",
    (_("Power"),),
    _("Power (W)"),
    "W",
    _("Power not available: no samples in this time range."),
)
_UTILIZATION_CHART = (
    "utilization_percent",
    (_("Utilization"),),
    _("Utilization (%)"),
    "%",
    _("Utilization not available: no samples in this time range."),
)


def _temperature_chart(metrics: str, labels: tuple) -> tuple:
    """The temperature chart: the two sensors each kind of device has, one line each."""
    empty = _("Temperature not available: no samples in this time range.")
    return (metrics, labels, _("Temperature (°C)"), "°C", empty)


GPU_CHARTS = (
    _POWER_CHART,
    _temperature_chart("temperature_celsius,memory_temperature_celsius", ("GPU", _("Memory"))),
    _UTILIZATION_CHART,
)
NPU_CHARTS = (
    _POWER_CHART,
    _temperature_chart("temperature_celsius,ambient_temperature_celsius", (_("Peak"), _("Ambient"))),
    _UTILIZATION_CHART,
)


def _charts(
    api_name: str, found: inventory.Found, specs: Sequence[tuple], time_range: timerange.PageRange
) -> list[dict]:
    """Chart placeholders the page's JS fills from the timeseries API (same session, same scope)."""
    # Naming the cluster lets the API look in that one cluster only.
    query = [("cluster", found.cluster.name), *time_range.api_params]
    url = f"{reverse(api_name, args=[found.device.uuid])}?{urlencode(query)}"
    return [
        # The legend labels travel comma-separated in data-labels, in the page's language.
        {
            "url": url,
            "metrics": metrics,
            "labels": ",".join(map(str, labels)),
            "title": title,
            "unit": unit,
            "empty": empty,
        }
        for metrics, labels, title, unit, empty in specs
    ]


def _percent(share: float | None) -> float | None:
    """A power share (0-1) as the percentage the tables print."""
    return None if share is None else share * 100


@login_required
def gpu_detail(request: HttpRequest, uuid: str) -> HttpResponse:
    """One GPU: identity, allocation, MIG instances, error counters, 24 h charts."""
    found = _find(request, "gpu", uuid)
    if isinstance(found, HttpResponse):
        return found
    g: Gpu = found.device  # type: ignore[assignment]
    time_range = timerange.for_request(request)
    power, power_error = _power_in_range(found, time_range)
    context = {
        "g": g,
        "status": g.status,
        "status_label": status_label(g.status),
        "counter_kwh": _kwh(g.total_energy_joules),
        "mig": [
            {
                "id": i.gpu_instance_id,
                "profile": i.profile,
                "namespace": i.namespace,
                "pod": i.pod,
                "container": i.container,
                "memory_used": i.memory_used_mb,
                "memory_total": _sum(i),
                "utilization": i.utilization_percent,
                "share": _percent(i.power_share),
                "power": i.power_watts,
            }
            for i in g.mig_instances
        ],
        "power": power,
        "power_error": power_error,
        "charts": _charts("api-accelerators-gpu-timeseries", found, GPU_CHARTS, time_range),
    }
    return render(request, "accelerators/gpu_detail.html", context)


def _kwh(joules: float | None) -> float | None:
    return None if joules is None else joules / history.J_PER_KWH


def _sum(instance) -> float | None:
    if instance.memory_used_mb is None or instance.memory_free_mb is None:
        return None
    return instance.memory_used_mb + instance.memory_free_mb


@login_required
def npu_detail(request: HttpRequest, id: str) -> HttpResponse:
    """One NPU card: identity, allocation and partitions, per-core utilisation, 24 h charts."""
    found = _find(request, "npu", id)
    if isinstance(found, HttpResponse):
        return found
    x: Npu = found.device  # type: ignore[assignment]
    time_range = timerange.for_request(request)
    power, power_error = _power_in_range(found, time_range)
    context = {
        "x": x,
        "status": x.status,
        "status_label": status_label(x.status),
        "utilization_sub": (
            gettext("mean of %(count)s cores") % {"count": len(x.cores)} if x.cores else gettext("whole card")
        ),
        "memory_sub": "" if x.memory_total_bytes is not None else gettext("not reported by the exporter"),
        "partitions": [
            {
                "cores": p.cores,
                "core_count": p.core_count,
                "namespace": p.namespace,
                "pod": p.pod,
                "container": p.container,
                "share": _percent(p.power_share),
                "power": p.power_watts,
            }
            for p in x.partitions
        ],
        "power": power,
        "power_error": power_error,
        "charts": _charts("api-accelerators-npu-timeseries", found, NPU_CHARTS, time_range),
    }
    return render(request, "accelerators/npu_detail.html", context)
