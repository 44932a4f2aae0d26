"""The hardware health page: nodes with critical/warning sensors first, sensor grids by type, DCMI power, BMC.

One fan-out of one cached PromQL request per cluster (:func:`hardware.services.ipmi_results`,
the same service as ``/api/v1/hardware``). A sensor's colour is the state the
exporter's ``*_state`` series gives, nothing else; a NaN reading prints "—"
with that state.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from clusters.prometheus.cache import evaluation_time
from clusters.prometheus.fanout import down_summary
from clusters.scope import Principal, select_clusters
from hardware import services
from hardware.presentation import TYPE_LABELS, state_label, type_tables
from kcloud.api.errors import ApiError
from kcloud.api.params import many, parse_k8s_names
from kcloud.timeutil import from_unix
from kcloud.web import values


def node_url(name: str, cluster: str) -> str:
    """The node's page (the infrastructure area's), naming its cluster: node names repeat across clusters."""
    return f"{reverse('infrastructure-node', args=[name])}?{urlencode({'cluster': cluster})}"


def _node_row(row: dict, entry: services.NodeIpmi) -> dict:
    psus = [s.value for s in entry.sensors if s.type == "power" and "PSU" in s.name.upper() and s.value is not None]
    return {
        "node": row["node"],
        "cluster": row["cluster"],
        "url": node_url(row["node"], row["cluster"]),
        "worst": row["worst_state"],
        "worst_label": state_label(row["worst_state"]),
        "sensors": row["sensors"],
        "counts": row["counts"],
        "problems": [
            {"name": s.name, "state": s.state, "state_label": state_label(s.state), "id": s.id}
            for s in row["problems"] + row["unknown"]
        ],
        "dcmi": entry.dcmi_power_watts,
        "dcmi_available": entry.collectors.get("dcmi"),
        "psu": sum(psus) if psus else None,
        "manufacturer": entry.bmc.get("manufacturer"),
        "firmware": entry.bmc.get("firmware_revision"),
        "system_firmware": entry.bmc.get("system_firmware_version"),
        "chassis": entry.chassis_power,
    }


@login_required
def hardware_page(request: HttpRequest) -> HttpResponse:
    """IPMI health of every visible node: worst nodes first, sensors by type, wall power and BMC facts."""
    principal = Principal.from_request(request)
    context: dict = {
        "all_clusters": [c.name for c in principal.visible_clusters()],
        "types": [(t, TYPE_LABELS.get(t, t)) for t in services.SENSOR_TYPES],
        "states": [(s, state_label(s)) for s in services.STATES],
        "selected": {k: values(request, k) for k in ("cluster", "node", "type", "state")},
        "nodes": [],
        "tables": [],
        "error": None,
    }
    try:
        clusters = select_clusters(principal, values(request, "cluster"))
        names = tuple(parse_k8s_names("node", values(request, "node")))
        types = many("type", services.SENSOR_TYPES, values(request, "type"))
        states = many("state", services.STATES, values(request, "state"))
    except ApiError as exc:
        context["error"] = str(exc.detail)
        return render(request, "hardware/health.html", context, status=400)
    at = evaluation_time(None)
    results = services.ipmi_results(clusters, at)
    every = services.all_nodes(results)
    entries = {(e.cluster, e.node): e for e in services.all_nodes(results, names)}
    ranked = services.summary(list(entries.values()))
    # The service ranks critical, then warning; on this page unknown comes next (it is not "ok" either).
    ranked.sort(key=lambda r: (-r["counts"]["critical"], -r["counts"]["warning"], -r["counts"]["unknown"]))
    if states:
        # A state filter keeps the nodes that have such a sensor, and only those sensors.
        ranked = [r for r in ranked if any(r["counts"][s] for s in states)]
    ordered = [entries[(r["cluster"], r["node"])] for r in ranked]
    shown = [
        services.NodeIpmi(
            cluster=e.cluster,
            node=e.node,
            sensors=services.sensors([e], types, states),
        )
        for e in ordered
    ]
    totals = dict.fromkeys(services.STATES, 0)
    for e in ordered:
        for state, count in e.counts().items():
            totals[state] += count
    context.update(
        nodes=[_node_row(r, entries[(r["cluster"], r["node"])]) for r in ranked],
        tables=type_tables(shown, {(e.cluster, e.node): node_url(e.node, e.cluster) for e in ordered}),
        node_names=sorted({e.node for e in every}),
        kpis={
            "nodes": len(ordered),
            "critical_nodes": sum(1 for r in ranked if r["counts"]["critical"]),
            "warning_nodes": sum(1 for r in ranked if r["counts"]["warning"] and not r["counts"]["critical"]),
            "sensors": sum(totals.values()),
            **totals,
            "dcmi_nodes": sum(1 for e in ordered if e.dcmi_power_watts is not None),
            "dcmi_total": (
                sum(e.dcmi_power_watts for e in ordered if e.dcmi_power_watts is not None)
                if any(e.dcmi_power_watts is not None for e in ordered)
                else None
            ),
        },
        summary=down_summary(results),
        evaluated_at=from_unix(at),
        filtered=bool(names or types or states),
    )
    return render(request, "hardware/health.html", context)
