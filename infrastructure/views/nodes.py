"""The node list (power composition bars) and the node detail page (parts now, 24 h chart, IPMI, devices, pods)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accelerators.presentation import status_label
from clusters.lookup import lookup, resolve_one
from clusters.prometheus.cache import evaluation_time
from clusters.prometheus.errors import PrometheusError
from clusters.prometheus.fanout import down_summary, fan_out
from clusters.scope import Principal, select_clusters
from hardware import services as hardware
from hardware.presentation import TYPE_LABELS, sensor_rows, state_label
from infrastructure.services import common, nodes
from infrastructure.services.snapshot import NODE_STATUSES as STATUSES
from infrastructure.services.snapshot import Node, Pod
from infrastructure.views.common import (
    NODE_STATUS_LABELS,
    PAGE_SIZE,
    PHASE_LABELS,
    POWER_PARTS,
    choices,
    label_of,
    largest_power,
    power_bar,
    unavailable,
)
from kcloud import timerange
from kcloud.api.errors import ApiError
from kcloud.api.params import choose_step, order_rows, parse_bool, parse_choice, parse_k8s_name, parse_ordering
from kcloud.timeutil import from_unix
from kcloud.web import Column, first, headers, values

NODE_COLUMNS = (
    Column(_("Node"), "name"),
    Column(_("Cluster"), "cluster"),
    Column(_("Status"), "status"),
    Column(_("Roles")),
    Column("GPUs", "gpu_count", True),
    Column("NPUs", "npu_count", True),
    Column(_("Pods"), "pod_count", True),
    Column(_("Power (W)"), "power_watts", True),
    Column(_("Composition")),
    Column("CPU (W)", "cpu_power_watts", True),
    Column("DRAM (W)", "dram_power_watts", True),
    Column("GPU (W)", "gpu_power_watts", True),
    Column("NPU (W)", "npu_power_watts", True),
    Column(_("Wall, DCMI (W)"), "measured_power_watts", True),
)


def node_url(name: str, cluster: str) -> str:
    """The node's page, naming its cluster (node names need not be unique across clusters)."""
    return f"{reverse('infrastructure-node', args=[name])}?{urlencode({'cluster': cluster})}"


def pod_url(namespace: str, name: str, cluster: str) -> str:
    return f"{reverse('infrastructure-pod', args=[namespace, name])}?{urlencode({'cluster': cluster})}"


def _filters(request: HttpRequest) -> nodes.NodeFilters:
    """The list's filters, validated like the API's (``BadParameter`` names the field)."""
    status, role = first(request, "status"), first(request, "role")
    return nodes.NodeFilters(
        status=parse_choice("status", status, STATUSES) if status else None,
        role=parse_k8s_name("role", role) if role else None,
        has_gpu=parse_bool("has_gpu", first(request, "has_gpu")),
        has_npu=parse_bool("has_npu", first(request, "has_npu")),
    )


def _row(n: Node, scale: float | None) -> dict:
    """The node (the template formats its values) with its page and its composition bar."""
    return {
        "n": n,
        "url": node_url(n.name, n.cluster),
        "bar": power_bar(n.power, scale),
        "status": label_of(NODE_STATUS_LABELS, n.status),
    }


@login_required
def node_list(request: HttpRequest) -> HttpResponse:
    """Every visible node with its power composition; filters, sortable columns, pagination."""
    principal = Principal.from_request(request)
    context: dict = {
        "tab": "nodes",
        "all_clusters": [c.name for c in principal.visible_clusters()],
        "statuses": choices(STATUSES, NODE_STATUS_LABELS),
        "selected": {k: values(request, k) for k in ("cluster", "status", "role", "has_gpu", "has_npu")},
        "legend": POWER_PARTS,
        "rows": [],
        "roles": [],
        "error": None,
    }
    try:
        ordering = parse_ordering(request.GET.get("ordering") or None, nodes.NODE_ORDERING)
        clusters = select_clusters(principal, values(request, "cluster"))
        filters = _filters(request)
    except ApiError as exc:
        context.update(error=str(exc.detail), headers=headers(NODE_COLUMNS, None))
        return render(request, "infrastructure/node_list.html", context, status=400)
    at = evaluation_time(None)
    results = common.snapshots(clusters, at)
    every = nodes.list_nodes(results, nodes.NodeFilters())
    rows = order_rows(nodes.list_nodes(results, filters), ordering, key=nodes.node_value)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    scale = largest_power(rows)
    totals = nodes.summarize_nodes(rows)
    context.update(
        headers=headers(NODE_COLUMNS, ordering),
        rows=[_row(n, scale) for n in page.object_list],
        roles=sorted({r for n in every for r in n.roles}),
        page=page,
        total=len(every),
        matched=len(rows),
        kpis={
            "power": totals["total"]["power_watts"],
            "reporting": totals["nodes_reporting_power"],
            "measured": totals["nodes_with_measured_power"],
            "ready": totals["by_status"].get("ready", 0),
            "not_ready": totals["by_status"].get("not_ready", 0) + totals["by_status"].get("unknown", 0),
            "gpu": totals["total"]["gpu_power_watts"],
            "npu": totals["total"]["npu_power_watts"],
        },
        summary=down_summary(results),
        evaluated_at=from_unix(at),
    )
    return render(request, "infrastructure/node_list.html", context)


# -- detail ------------------------------------------------------------------------------
def _parts_table(n: Node) -> list[dict]:
    """Watts per part: now, idle, of pods, of other processes; a part without that split has no key (printed "—")."""
    p = n.power
    return [
        {
            "label": gettext("CPU package"),
            "key": "cpu",
            "now": p.cpu_power_watts,
            "idle": p.cpu_idle_watts,
            "pods": p.cpu_pods_watts,
            "system": p.cpu_system_watts,
        },
        {
            "label": "DRAM",
            "key": "dram",
            "now": p.dram_power_watts,
            "idle": p.dram_idle_watts,
            "pods": p.dram_pods_watts,
        },
        {"label": "GPU", "key": "gpu", "now": p.gpu_power_watts},
        {"label": "NPU", "key": "npu", "now": p.npu_power_watts},
        {"label": gettext("Other (wall - parts)"), "key": "other", "now": p.other_watts},
    ]


def _devices(n: Node) -> list[dict]:
    out = []
    for g in n.gpus:
        out.append(
            {
                "kind": "GPU",
                "url": reverse("accelerators-gpu", args=[g.uuid]),
                "id": g.uuid,
                "label": f"#{g.index}" if g.index is not None else g.uuid[:12],
                "model": g.model_name,
                "status": g.status,
                "status_label": status_label(g.status),
                "power": g.power_watts,
                "allocations": sorted({f"{a.namespace}/{a.pod}" for a in g.allocations}),
            }
        )
    for x in n.npus:
        out.append(
            {
                "kind": "NPU",
                "url": reverse("accelerators-npu", args=[x.id]),
                "id": x.id,
                "label": x.device or x.id[:12],
                "vendor": x.vendor,
                "model": x.model,
                "status": x.status,
                "status_label": status_label(x.status),
                "power": x.power_watts,
                "allocations": sorted({f"{a.namespace}/{a.pod}" for a in x.allocations}),
            }
        )
    return out


def pod_row(p: Pod) -> dict:
    """A pod (the template formats its values) with the links the node and pod pages print."""
    return {
        "p": p,
        "phase": label_of(PHASE_LABELS, p.phase),
        "url": pod_url(p.namespace, p.name, p.cluster),
        "node_url": node_url(p.node, p.cluster) if p.node else None,
        "gpus": [(u, reverse("accelerators-gpu", args=[u])) for u in p.gpus],
        "npus": [(i, reverse("accelerators-npu", args=[i])) for i in p.npus],
    }


def _ipmi(cluster, name: str, at: float) -> tuple[hardware.NodeIpmi | None, str | None]:
    """The node's IPMI facts (one request to its cluster); a failure is shown, not raised."""
    result = fan_out([cluster], lambda client, c: hardware.fetch_ipmi(client, c, at))[0]
    if not result.ok:
        return None, result.error
    return result.value.get(name), None


def _window(cluster, node: Node, end: float, seconds: int) -> tuple[nodes.WindowStats | None, str | None]:
    try:
        # The same step as the API's chart request, so the range query is shared through the cache.
        return nodes.node_window(cluster, node, end, seconds, choose_step(seconds, min_step=30)), None
    except PrometheusError as exc:
        return None, exc.message


def _range_params(time_range: timerange.PageRange, end: float) -> list[tuple[str, str]]:
    """The node power API's ``window``/``time`` for the page's range."""
    return [("window", f"{time_range.seconds}s"), ("time", str(int(end)))]


@login_required
def node_detail(request: HttpRequest, name: str) -> HttpResponse:
    """One node: power parts now and over the page's time range, IPMI sensors, its accelerators and pods."""
    back = reverse("infrastructure-page")
    try:
        parse_k8s_name("name", name)
        clusters = select_clusters(Principal.from_request(request), values(request, "cluster"))
        at = evaluation_time(None)
        found = lookup(common.snapshots(clusters, at), lambda snap: snap.nodes.get(name))
        result, node = resolve_one(found.found, found.failed, what="node", name=name)
    except ApiError as exc:
        return unavailable(
            request, exc, kind=gettext("Node"), tab="nodes", name=name, back_url=back, back_label=gettext("All nodes")
        )
    cluster, snap = result.cluster, result.value
    time_range = timerange.for_request(request)
    end = time_range.evaluation_instant(at)
    window, window_error = _window(cluster, node, end, time_range.seconds)
    ipmi, ipmi_error = _ipmi(cluster, name, at)
    pods = [pod_row(p) for _k, p in sorted(snap.pods.items()) if p.node == name]
    p = node.power
    api = reverse("api-infrastructure-node-power", args=[name])
    context = {
        "tab": "nodes",
        "n": node,
        "status": label_of(NODE_STATUS_LABELS, node.status),
        "cluster": cluster.name,
        "power_sub": gettext("DCMI wall meter")
        if p.measured_power_watts is not None
        else gettext("sum of CPU, DRAM, GPU, NPU"),
        "accel_watts": _add(p.gpu_power_watts, p.npu_power_watts),
        "accel_sub": f"{node.gpu_count} GPU · {node.npu_count} NPU",
        "bar": power_bar(p, None),
        "legend": POWER_PARTS,
        "parts": _parts_table(node),
        "window": window,
        "window_parts": _window_parts(window),
        "window_error": window_error,
        "chart_url": f"{api}?{urlencode([('cluster', cluster.name), *_range_params(time_range, end)])}",
        "devices": _devices(node),
        "pods": pods,
        "ipmi": ipmi,
        "ipmi_error": ipmi_error,
        "sensor_halves": _halves(_sensor_rows(ipmi) if ipmi else []),
        "evaluated_at": from_unix(at),
    }
    return render(request, "infrastructure/node_detail.html", context)


def _sensor_rows(ipmi: hardware.NodeIpmi) -> list[dict]:
    """The node's sensor rows with the words shown for their state and type."""
    return [
        {
            **row,
            "state_label": state_label(row["state"]),
            "type_label": label_of(TYPE_LABELS, row["type"]),
        }
        for row in sensor_rows(ipmi.sensors)
    ]


def _halves(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """Two side-by-side tables: the first takes the extra row."""
    middle = (len(rows) + 1) // 2
    return rows[:middle], rows[middle:]


def _add(a: float | None, b: float | None) -> float | None:
    return None if a is None and b is None else (a or 0.0) + (b or 0.0)


def _window_parts(w: nodes.WindowStats | None) -> list[tuple[str, float | None]]:
    """(label, kWh) of each part over the window."""
    if w is None:
        return []
    parts = (("cpu", "CPU"), ("dram", "DRAM"), ("gpu", "GPU"), ("npu", "NPU"), ("measured", gettext("Wall")))
    return [(label, w.parts_energy_kwh.get(key)) for key, label in parts]
