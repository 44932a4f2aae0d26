"""Accelerator counts by kind and vendor with their power: the accelerators landing page and the fleet overview."""

from __future__ import annotations

from collections.abc import Sequence

from accelerators.services import inventory
from clusters.prometheus.fanout import down_summary
from kcloud.templatetags.display import num, vendor_label
from kcloud.timeutil import from_unix


def group_row(group: dict, label=str) -> dict:
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
    return kind_summary(inventory.collect(clusters))


def kind_summary(fleet: inventory.FleetAccelerators) -> dict:
    by_kind = []
    for kind in ("gpu", "npu"):
        devices = [d for d in fleet.devices if d.kind == kind]
        totals = inventory.summarize(devices)
        by_kind.append(
            {
                "kind": kind,
                "totals": group_row({"name": kind, **totals}),
                "vendors": [group_row(g, vendor_label) for g in inventory.group_summaries(devices, lambda d: d.vendor)],
            }
        )
    return {
        "fleet_totals": group_row({"name": "all", **inventory.summarize(fleet.devices)}),
        "by_kind": by_kind,
        "failed": down_summary(fleet.results)["down"],
        "evaluated_at": from_unix(fleet.evaluated_at),
    }
