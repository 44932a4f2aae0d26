"""The pod list (top consumers first) and the pod detail page (containers, devices, power and energy)."""

from __future__ import annotations

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
from clusters.prometheus.fanout import down_summary
from clusters.scope import Principal, select_clusters
from infrastructure.services import common, pods
from infrastructure.services.snapshot import PHASES
from infrastructure.views.common import PAGE_SIZE, PHASE_LABELS, choices, label_of, unavailable
from infrastructure.views.nodes import node_url, pod_row
from kcloud import timerange
from kcloud.api.errors import ApiError
from kcloud.api.params import order_rows, parse_choice, parse_float, parse_k8s_name, parse_k8s_names, parse_ordering
from kcloud.timeutil import from_unix
from kcloud.web import Column, first, headers, values

DEFAULT_ORDERING = "-power_watts"  # the list answers "who draws the most" first
POD_COLUMNS = (
    Column(_("Pod"), "name"),
    Column(_("Namespace"), "namespace"),
    Column(_("Cluster"), "cluster"),
    Column(_("Node"), "node"),
    Column(_("Phase"), "phase"),
    Column(_("Power (W)"), "power_watts", True),
    Column("CPU (W)", "cpu_power_watts", True),
    Column("DRAM (W)", "dram_power_watts", True),
    Column("GPU (W)", "gpu_power_watts", True),
    Column("NPU (W)", "npu_power_watts", True),
    Column(_("CPU (cores)"), "cpu_usage_cores", True),
    Column(_("Mem (MiB)"), "memory_working_set_mb", True),
    Column(_("Devices")),
)


def _filters(request: HttpRequest) -> pods.PodFilters:
    return pods.PodFilters(
        namespaces=tuple(parse_k8s_names("namespace", values(request, "namespace"), label=True)),
        nodes=tuple(parse_k8s_names("node", values(request, "node"))),
        phases=tuple(parse_choice("phase", v, PHASES) for v in values(request, "phase")),
        min_power_watts=parse_float("min_power_watts", first(request, "min_power_watts"), minimum=0),
    )


def _bar_width(watts: float | None, scale: float | None) -> float | None:
    if watts is None or not scale:
        return None
    return max(0.0, min(100.0, 100.0 * watts / scale))


@login_required
def pod_list(request: HttpRequest) -> HttpResponse:
    """Every visible pod, the largest consumers first; namespace, node, phase and power filters."""
    principal = Principal.from_request(request)
    context: dict = {
        "tab": "pods",
        "all_clusters": [c.name for c in principal.visible_clusters()],
        "phases": choices(PHASES, PHASE_LABELS),
        "selected": {k: values(request, k) for k in ("cluster", "namespace", "node", "phase", "min_power_watts")},
        "rows": [],
        "namespaces": [],
        "error": None,
    }
    try:
        ordering = parse_ordering(request.GET.get("ordering") or DEFAULT_ORDERING, pods.POD_ORDERING)
        clusters = select_clusters(principal, values(request, "cluster"))
        filters = _filters(request)
    except ApiError as exc:
        context.update(error=str(exc.detail), headers=headers(POD_COLUMNS, None))
        return render(request, "infrastructure/pod_list.html", context, status=400)
    at = evaluation_time(None)
    results = common.snapshots(clusters, at)
    every = pods.list_pods(results, pods.PodFilters())
    rows = order_rows(pods.list_pods(results, filters), ordering)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    scale = max((p.power_watts for p in rows if p.power_watts is not None), default=None)
    summary = pods.summarize_pods(rows, top=5)
    page_rows = []
    for p in page.object_list:
        row = pod_row(p)
        row["width"] = _bar_width(p.power_watts, scale)
        page_rows.append(row)
    context.update(
        headers=headers(POD_COLUMNS, ordering),
        rows=page_rows,
        namespaces=sorted({p.namespace for p in every}),
        nodes=sorted({p.node for p in every if p.node}),
        page=page,
        total=len(every),
        matched=len(rows),
        kpis={
            "power": summary["power_watts"],
            "running": summary["by_phase"].get("Running", 0),
            "pending": summary["by_phase"].get("Pending", 0),
            "ended": summary["by_phase"].get("Succeeded", 0) + summary["by_phase"].get("Failed", 0),
        },
        top_namespaces=[
            {
                "namespace": ns["namespace"],
                "cluster": ns["cluster"],
                "pods": ns["pods"],
                "power": ns["power_watts"],
                "width": _bar_width(ns["power_watts"], summary["by_namespace"][0]["power_watts"]),
            }
            for ns in summary["by_namespace"][:6]
        ],
        summary=down_summary(results),
        evaluated_at=from_unix(at),
    )
    return render(request, "infrastructure/pod_list.html", context)


def _windows(time_range: timerange.PageRange, at: float) -> list[tuple[str, str, float, int]]:
    """(key, label, end, seconds): the last hour for reference, then the page's range."""
    out = [("1h", gettext("Last hour"), at, 3600)]
    if time_range.preset != "1h":
        out.append((time_range.preset, time_range.label, time_range.evaluation_instant(at), time_range.seconds))
    return out


def _energy(cluster, cs, pod, at: float, time_range: timerange.PageRange) -> list[dict]:
    """Energy over the last hour and the page's range (one request each); a failure is shown, not raised."""
    gpu_shares, npu_shares = pods.device_shares(cs.snapshot, pod)
    out = []
    for key, label, end, seconds in _windows(time_range, at):
        try:
            stats = pods.pod_window(cluster, pod, end, seconds, gpu_shares, npu_shares)
        except PrometheusError as exc:
            out.append({"key": key, "label": label, "error": exc.message})
            continue
        kwh = stats["parts_energy_kwh"]
        out.append(
            {
                "key": key,
                "label": label,
                "energy": stats["energy_kwh"],
                "avg": stats["avg_power_watts"],
                "cpu": kwh.get("cpu"),
                "dram": kwh.get("dram"),
                "gpu": kwh.get("gpu"),
                "npu": kwh.get("npu"),
            }
        )
    return out


@login_required
def pod_detail(request: HttpRequest, namespace: str, name: str) -> HttpResponse:
    """One pod: identity, containers, devices held, power now, energy over the last hour and the page's range."""
    back = reverse("infrastructure-pods")
    try:
        parse_k8s_name("namespace", namespace, label=True)
        parse_k8s_name("name", name)
        clusters = select_clusters(Principal.from_request(request), values(request, "cluster"))
        at = evaluation_time(None)
        results = pods.container_snapshots(clusters, at)
        found = lookup(results, lambda cs: cs.snapshot.pods.get((namespace, name)))
        result, pod = resolve_one(found.found, found.failed, what="pod", name=f"{namespace}/{name}")
    except ApiError as exc:
        label = f"{namespace}/{name}"
        return unavailable(
            request, exc, kind=gettext("Pod"), tab="pods", name=label, back_url=back, back_label=gettext("All pods")
        )
    cluster, cs = result.cluster, result.value
    containers = [c for key, c in sorted(cs.containers.items()) if key[:2] == (namespace, name)]
    devices = [
        {"kind": "GPU", "id": d.uuid, "url": reverse("accelerators-gpu", args=[d.uuid]), "d": d}
        for d in cs.snapshot.gpus
        if d.uuid in pod.gpus
    ] + [
        {"kind": "NPU", "id": d.id, "url": reverse("accelerators-npu", args=[d.id]), "d": d}
        for d in cs.snapshot.npus
        if d.id in pod.npus
    ]
    gpu_shares, npu_shares = pods.device_shares(cs.snapshot, pod)
    shares = {**gpu_shares, **npu_shares}
    context = {
        "tab": "pods",
        "p": pod,
        "phase": label_of(PHASE_LABELS, pod.phase),
        "cluster": cluster.name,
        "node_url": node_url(pod.node, cluster.name) if pod.node else None,
        "containers": containers,
        "devices": [
            {
                "kind": x["kind"],
                "id": x["id"],
                "url": x["url"],
                "label": getattr(x["d"], "device", None) or x["id"][:13],
                "status": x["d"].status,
                "status_label": status_label(x["d"].status),
                "power": x["d"].power_watts,
                "share": shares.get(x["id"], 0.0) * 100,
                "attributed": None if x["d"].power_watts is None else x["d"].power_watts * shares.get(x["id"], 0.0),
            }
            for x in devices
        ],
        "energy": _energy(cluster, cs, pod, at, timerange.for_request(request)),
        "evaluated_at": from_unix(at),
    }
    return render(request, "infrastructure/pod_detail.html", context)
