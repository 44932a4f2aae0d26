"""Accelerator counts by kind and vendor with their power: the accelerators landing page and the fleet overview."""

from __future__ import annotations

from collections.abc import Sequence

from accelerators.services import inventory
from clusters.prometheus.fanout import down_summary
from kcloud.timeutil import from_unix


def summary_context(clusters: Sequence) -> dict:
    """Accelerator counts by kind and vendor and the total power, for the fleet overview page.

    One fan-out (two cached PromQL requests per cluster) through the summary service.
    """
    return kind_summary(inventory.collect(clusters))


def kind_summary(fleet: inventory.FleetAccelerators) -> dict:
    """Totals (``inventory.summarize``) per kind and vendor; the templates format them."""
    by_kind = []
    for kind in ("gpu", "npu"):
        devices = [d for d in fleet.devices if d.kind == kind]
        by_kind.append(
            {
                "kind": kind,
                "totals": inventory.summarize(devices),
                "vendors": inventory.group_summaries(devices, lambda d: d.vendor),
            }
        )
    return {
        "fleet_totals": inventory.summarize(fleet.devices),
        "by_kind": by_kind,
        "failed": down_summary(fleet.results)["down"],
        "evaluated_at": from_unix(fleet.evaluated_at),
    }
