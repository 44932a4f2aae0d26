"""The GPU and NPU list pages: filters, sortable columns, status colours, pagination."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accelerators.devices import STATUSES, Gpu, Npu
from accelerators.params import GPU_ORDERING, NPU_ORDERING, model_filters
from accelerators.presentation import status_label
from accelerators.services import inventory
from clusters.prometheus.fanout import down_summary
from clusters.scope import Principal, select_clusters
from kcloud.api.errors import ApiError
from kcloud.api.params import parse_choice, parse_k8s_names, parse_ordering
from kcloud.templatetags.display import VENDOR_LABELS
from kcloud.timeutil import from_unix
from kcloud.web import Column, headers, values

PAGE_SIZE = 50
NPU_VENDORS = ("furiosa", "rebellions")


def _allocations(device: Gpu | Npu) -> list[str]:
    """``namespace/pod`` of every pod using the device (whole, MIG instance or partition), de-duplicated."""
    seen: dict[str, None] = {}
    for a in device.allocations:
        seen.setdefault(f"{a.namespace}/{a.pod}", None)
    return list(seen)


_PLACE = (Column(_("Cluster"), "cluster"), Column(_("Node"), "node"))
# What both lists show after the device's identity: its state and readings, then who holds it.
_READINGS = (
    Column(_("Status"), "status"),
    Column(_("Power (W)"), "power_watts", True),
    Column(_("Temp (°C)"), "temperature_celsius", True),
    Column(_("Util (%)"), "utilization_percent", True),
    Column(_("Memory used / total (GiB)"), "memory_used_mb", True),
    Column(_("Allocated to"), "namespace"),
)
GPU_COLUMNS = (Column("GPU"), *_PLACE, Column(_("Model"), "model_name"), *_READINGS)
NPU_COLUMNS = (Column("NPU"), *_PLACE, Column(_("Vendor"), "vendor"), Column(_("Model"), "model"), *_READINGS)


def _filters(request: HttpRequest, kind: str) -> inventory.Filters:
    """The page's filters, validated exactly like the API's (``BadParameter`` names the field)."""
    vendors = {parse_choice("vendor", v, NPU_VENDORS) for v in values(request, "vendor")}
    return inventory.Filters(
        vendors=vendors if kind == "npu" else set(),
        nodes=set(parse_k8s_names("node", values(request, "node"))),
        models=model_filters(values(request, "model")),
        namespaces=set(parse_k8s_names("namespace", values(request, "namespace"), label=True)),
        statuses={parse_choice("status", v, STATUSES) for v in values(request, "status")},
    )


def _options(pool: Sequence[Gpu | Npu]) -> dict:
    """Values seen in the (unfiltered) fleet, offered by the filter form."""
    return {
        "nodes": sorted({d.node for d in pool if d.node}),
        "models": sorted({d.model for d in pool if d.model}),
        "namespaces": sorted({a.namespace for d in pool for a in d.allocations if a.namespace}),
    }


def _list_page(request: HttpRequest, kind: str) -> HttpResponse:
    principal = Principal.from_request(request)
    visible = list(principal.visible_clusters())
    columns = GPU_COLUMNS if kind == "gpu" else NPU_COLUMNS
    context: dict = {
        "kind": kind,
        "all_clusters": [c.name for c in visible],
        "statuses": [(s, status_label(s)) for s in STATUSES],
        "vendors": [(v, VENDOR_LABELS[v]) for v in NPU_VENDORS],
        "selected": {
            name: values(request, name) for name in ("cluster", "node", "model", "namespace", "status", "vendor")
        },
        "rows": [],
        "error": None,
    }
    ordering = None
    try:
        ordering = parse_ordering(request.GET.get("ordering") or None, GPU_ORDERING if kind == "gpu" else NPU_ORDERING)
        clusters = select_clusters(principal, values(request, "cluster"))
        filters = _filters(request, kind)
    except ApiError as exc:
        context.update(error=str(exc.detail), headers=headers(columns, None), options=_options([]))
        return render(request, f"accelerators/{kind}_list.html", context, status=400)

    fleet = inventory.collect(clusters)
    pool = fleet.gpus if kind == "gpu" else fleet.npus
    devices = inventory.order(inventory.apply(pool, filters), ordering)
    page = Paginator(devices, PAGE_SIZE).get_page(request.GET.get("page"))
    context.update(
        headers=headers(columns, ordering),
        options=_options(pool),
        rows=[_row(d) for d in page.object_list],
        page=page,
        total=len(pool),
        matched=len(devices),
        summary=down_summary(fleet.results),
        evaluated_at=from_unix(fleet.evaluated_at),
    )
    return render(request, f"accelerators/{kind}_list.html", context)


def _row(device: Gpu | Npu) -> dict:
    """The device (the template formats its values) with its page and the pods using it."""
    url = reverse(f"accelerators-{device.kind}", args=[device.id])
    return {"d": device, "url": url, "allocations": _allocations(device), "status_label": status_label(device.status)}


@login_required
def gpu_list(request: HttpRequest) -> HttpResponse:
    """Every visible GPU: filters, sortable columns, status colours, pagination."""
    return _list_page(request, "gpu")


@login_required
def npu_list(request: HttpRequest) -> HttpResponse:
    """Every visible NPU (Furiosa, Rebellions), partitions merged into their card."""
    return _list_page(request, "npu")
