"""The accelerators landing page and the summary shown on the fleet overview."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accelerators.services import inventory
from accelerators.views.display import down_summary, model_label, num, vendor_label
from kcloud.principal import Principal
from kcloud.timeutil import from_unix


def _group_row(group: dict, label=str) -> dict:
    return {
        "name": label(group["name"]),
        "count": group["count"],
        "active": group["active"],
        "idle": group["idle"],
        "unavailable": group["unavailable"],
        "power_total": num(group["power_watts_total"], 1),
        "power_avg": num(group["power_watts_avg"], 1),
        "utilization_avg": num(group["utilization_percent_avg"], 1),
    }


def summary_context(clusters: Sequence) -> dict:
    """Accelerator counts by kind and vendor and the total power, for the fleet overview page.

    One fan-out (two cached PromQL requests per cluster) through the summary service.
    """
    return _kind_summary(inventory.collect(clusters))


def _kind_summary(fleet: inventory.FleetAccelerators) -> dict:
    by_kind = []
    for kind in ("gpu", "npu"):
        devices = [d for d in fleet.devices if d.kind == kind]
        totals = inventory.summarize(devices)
        by_kind.append(
            {
                "kind": kind,
                "totals": _group_row({"name": kind, **totals}),
                "vendors": [
                    _group_row(g, vendor_label) for g in inventory.group_summaries(devices, lambda d: d.vendor)
                ],
            }
        )
    return {
        "fleet_totals": _group_row({"name": "all", **inventory.summarize(fleet.devices)}),
        "by_kind": by_kind,
        "failed": down_summary(fleet)["down"],
        "evaluated_at": from_unix(fleet.evaluated_at),
    }


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """The accelerators landing page: totals by kind, vendor, model and cluster, links to the lists."""
    clusters = list(Principal.from_request(request).visible_clusters())
    fleet = inventory.collect(clusters)
    summary = inventory.summary(fleet.devices)
    context = {
        **_kind_summary(fleet),
        "by_model": [_group_row(g, model_label) for g in summary["by_model"]],
        "by_cluster": [_group_row(g) for g in summary["by_cluster"]],
        "summary": down_summary(fleet),
        "has_clusters": bool(clusters),
    }
    return render(request, "accelerators/overview.html", context)
