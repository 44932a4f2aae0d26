"""The GPU and NPU detail pages: identity, allocation, MIG/partitions, cores, 24 h charts."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from accelerators.devices import Gpu, Npu
from accelerators.services import history, inventory
from clusters.prometheus.errors import PrometheusError
from clusters.scope import Principal, select_clusters
from kcloud.api.errors import ApiError, BadParameter
from kcloud.api.params import parse_uuid
from kcloud.templatetags.display import DASH, gib, memory, model_label, num, percent_width, vendor_label, with_unit

DAY_SECONDS = 24 * 3600


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


def _power_24h(found: inventory.Found) -> tuple[history.DevicePower | None, str | None]:
    """Average/max power and energy over the last 24 h; a failure is shown, not raised."""
    try:
        return history.power(found, DAY_SECONDS), None
    except PrometheusError as exc:
        return None, exc.message


NO_SAMPLES = "{} not available: no samples in the last 24 h."
# (metrics drawn on one chart, their legend labels, title with unit, unit, message when empty)
GPU_CHARTS = (
    ("power_watts", "Power", "Power (W)", "W", NO_SAMPLES.format("Power")),
    (
        "temperature_celsius,memory_temperature_celsius",
        "GPU,Memory",
        "Temperature (°C)",
        "°C",
        NO_SAMPLES.format("Temperature"),
    ),
    ("utilization_percent", "Utilization", "Utilization (%)", "%", NO_SAMPLES.format("Utilization")),
)
NPU_CHARTS = (
    ("power_watts", "Power", "Power (W)", "W", NO_SAMPLES.format("Power")),
    (
        "temperature_celsius,ambient_temperature_celsius",
        "Peak,Ambient",
        "Temperature (°C)",
        "°C",
        NO_SAMPLES.format("Temperature"),
    ),
    ("utilization_percent", "Utilization", "Utilization (%)", "%", NO_SAMPLES.format("Utilization")),
)


def _charts(api_name: str, found: inventory.Found, specs: Sequence[tuple[str, ...]]) -> list[dict]:
    """Chart placeholders the page's JS fills from the timeseries API (same session, same scope)."""
    # Naming the cluster lets the API look in that one cluster only.
    url = f"{reverse(api_name, args=[found.device.uuid])}?{urlencode({'cluster': found.cluster.name})}"
    keys = ("metrics", "labels", "title", "unit", "empty")
    return [{"url": url, **dict(zip(keys, spec, strict=True))} for spec in specs]


def _avg_sub(power: history.DevicePower | None) -> str:
    return f"24 h avg {with_unit(power.avg_power_watts if power else None, 1, 'W')}"


def _power_facts(power: history.DevicePower | None) -> dict:
    if power is None:
        return {}
    return {
        "avg": with_unit(power.avg_power_watts, 1, "W"),
        "min": with_unit(power.min_power_watts, 1, "W"),
        "max": with_unit(power.max_power_watts, 1, "W"),
        "energy": num(power.energy_kwh, 3),
        "source": "energy counter" if power.energy_source == "counter" else "power gauge integrated at 30 s",
    }


@login_required
def gpu_detail(request: HttpRequest, uuid: str) -> HttpResponse:
    """One GPU: identity, allocation, MIG instances, error counters, 24 h charts."""
    found = _find(request, "gpu", uuid)
    if isinstance(found, HttpResponse):
        return found
    g: Gpu = found.device  # type: ignore[assignment]
    power, power_error = _power_24h(found)
    charts = GPU_CHARTS
    context = {
        "g": g,
        "status": g.status,
        "facts": {
            "power": num(g.power_watts, 1),
            "power_sub": _avg_sub(power),
            "temperature": num(g.temperature_celsius),
            "temperature_sub": f"memory {with_unit(g.memory_temperature_celsius, 0, '°C')}",
            "utilization": num(g.utilization_percent),
            # DCGM has no GPU_UTIL under MIG: say what the figure is instead.
            "utilization_sub": "MIG: instances' engine activity x slices / 7"
            if g.mig_enabled
            else f"memory copy {with_unit(g.memory_copy_utilization_percent, 0, '%')}",
            "memory": memory(g.memory_used_mb, g.memory_total_mb),
            "memory_sub": f"free {with_unit(gib(g.memory_free_mb), 1, 'GiB')}",
            "sm_clock": num(g.sm_clock_mhz),
            "memory_clock": num(g.memory_clock_mhz),
            "energy_sub": f"counter total {with_unit(_kwh(g.total_energy_joules), 2, 'kWh')}",
            "xid": num(g.xid_errors),
            "pcie_replay": num(g.pcie_replay_total),
            "remapped_correctable": num(g.remapped_rows_correctable),
            "remapped_uncorrectable": num(g.remapped_rows_uncorrectable),
        },
        "mig": [
            {
                "id": i.gpu_instance_id,
                "profile": i.profile or DASH,
                "namespace": i.namespace or DASH,
                "pod": i.pod or DASH,
                "container": i.container or DASH,
                "memory": memory(i.memory_used_mb, _sum(i)),
                "utilization": num(i.utilization_percent),
                "share": num(None if i.power_share is None else i.power_share * 100),
                "power": num(i.power_watts, 1),
            }
            for i in g.mig_instances
        ],
        "power": _power_facts(power),
        "power_error": power_error,
        "charts": _charts("api-accelerators-gpu-timeseries", found, charts),
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
    power, power_error = _power_24h(found)
    context = {
        "x": x,
        "model": model_label(x.model),
        "vendor": vendor_label(x.vendor),
        "status": x.status,
        "facts": {
            "power": num(x.power_watts, 1),
            "power_sub": _avg_sub(power),
            "temperature": num(x.temperature_celsius),
            "temperature_sub": f"ambient {with_unit(x.ambient_temperature_celsius, 0, '°C')}",
            "utilization_sub": f"mean of {len(x.cores)} cores" if x.cores else "whole card",
            "memory_sub": "" if x.memory_total_bytes is not None else "not reported by the exporter",
            "energy_sub": "power gauge integrated",
            "utilization": num(x.utilization_percent),
            "memory": memory(x.memory_used_mb, x.memory_total_mb),
            "core_count": num(x.core_count),
        },
        "cores": [
            {
                "core": c.core,
                "utilization": num(c.utilization_percent),
                "width": percent_width(c.utilization_percent),
                "frequency": num(c.frequency_mhz),
            }
            for c in x.cores
        ],
        "partitions": [
            {
                "cores": p.cores,
                "core_count": p.core_count,
                "namespace": p.namespace or DASH,
                "pod": p.pod or DASH,
                "container": p.container or DASH,
                "share": num(None if p.power_share is None else p.power_share * 100),
                "power": num(p.power_watts, 1),
            }
            for p in x.partitions
        ],
        "power": _power_facts(power),
        "power_error": power_error,
        "charts": _charts("api-accelerators-npu-timeseries", found, NPU_CHARTS),
    }
    return render(request, "accelerators/npu_detail.html", context)
