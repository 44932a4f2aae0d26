"""``/monitoring/power/breakdown``: power now and energy over a window, grouped, adding up to the total.

The total is the fleet's IT power (the nodes' ``power_watts``: DCMI wall power
where measured, else the parts) and, over the window, the nodes' energy on the
same definition. Rows are the groups; two explicit rows make the rest visible
instead of leaving a silent gap (``kind`` says which a row is):

* ``idle`` (``by=namespace|pod``): node power not attributed to any pod (idle
  power, non-pod processes, unallocated GPUs, NPUs and MIG slices);
* ``unattributed``: whatever the rows and ``idle`` do not cover: for pods and
  resource types the wall power beyond the parts (PSU loss, fans, disks); for
  ``vendor``/``model`` everything that is not an accelerator (CPU, DRAM, other).

So ``sum(rows) + idle + unattributed == total``, for power and for energy.
"""

from __future__ import annotations

from typing import Any

from clusters.prometheus.fanout import ClusterResult
from monitoring.economics import J_PER_KWH, Site
from monitoring.services.energy import PARTS, ClusterEnergy
from monitoring.services.power import ClusterNow, cluster_power, counted_pods, share_percent

BYS = ("cluster", "node", "namespace", "pod", "resource_type", "vendor", "model")
IDLE, UNATTRIBUTED = "__idle__", "__unattributed__"
_KEYS = {
    "cluster": ("cluster",),
    "node": ("cluster", "node"),
    "namespace": ("cluster", "namespace"),
    "pod": ("cluster", "namespace", "pod"),
    "resource_type": ("resource_type",),
    "vendor": ("vendor",),
    "model": ("vendor", "model"),
}


class _Acc:
    """Watts and joules per group key."""

    def __init__(self) -> None:
        self.watts: dict[tuple, float] = {}
        self.joules: dict[tuple, float] = {}

    def add(self, key: tuple, watts: float | None = None, joules: float | None = None) -> None:
        if watts is not None:
            self.watts[key] = self.watts.get(key, 0.0) + watts
        if joules is not None:
            self.joules[key] = self.joules.get(key, 0.0) + joules


def _now_rows(by: str, now: ClusterNow, acc: _Acc) -> None:
    """Add the power-now groups of one cluster."""
    snap, c = now.snapshot, now.snapshot.cluster
    up = {name for name, n in snap.nodes.items() if n.power.power_watts is not None}
    if by in ("cluster", "node"):
        for name in sorted(up):
            acc.add((c,) if by == "cluster" else (c, name), watts=snap.nodes[name].power.power_watts)
    elif by in ("namespace", "pod"):
        for p in counted_pods(snap):
            acc.add((c, p.namespace) if by == "namespace" else (c, p.namespace, p.name), watts=p.power_watts)
    elif by == "resource_type":
        for n in (snap.nodes[name] for name in up):
            for part in PARTS:
                acc.add((part,), watts=getattr(n.power, f"{part}_power_watts"))
    else:
        for d in [*snap.gpus, *snap.npus]:
            if d.node in up and d.power_watts is not None:
                acc.add((d.vendor,) if by == "vendor" else (d.vendor, d.model), watts=d.power_watts)


def _energy_rows(by: str, energy: ClusterEnergy, acc: _Acc) -> float:
    """Add the window's energy groups of one cluster; return its idle joules (pods view only)."""
    c, idle = energy.cluster, 0.0
    if by in ("cluster", "node"):
        for name, n in sorted(energy.nodes.items()):
            acc.add((c,) if by == "cluster" else (c, name), joules=n.power_joules)
    elif by in ("namespace", "pod"):
        for (ns, name), p in sorted(energy.pods.items()):
            acc.add((c, ns) if by == "namespace" else (c, ns, name), joules=p.parts.total)
        idle = sum(energy.idle(name).total or 0.0 for name in energy.nodes)
    elif by == "resource_type":
        for n in energy.nodes.values():
            for part in PARTS:
                acc.add((part,), joules=getattr(n.parts, part))
    else:
        for d in energy.devices:
            acc.add((d.vendor,) if by == "vendor" else (d.vendor, d.model), joules=d.joules)
    return idle


def _special(by: str, name: str, kind: str, watts: float | None, joules: float | None, total_w, total_j) -> dict:
    row: dict[str, Any] = dict.fromkeys(_KEYS[by])
    row[by] = name
    row.update(kind=kind, power_watts=watts, energy_kwh=None if joules is None else joules / J_PER_KWH)
    row["share_percent"] = share_percent(watts, total_w)
    return row


def breakdown(results: list[ClusterResult[ClusterNow]], sites: dict[str, Site], by: str) -> tuple[list[dict], dict]:
    """Rows (groups + ``idle`` + ``unattributed``) and totals of power now and energy over the window."""
    acc = _Acc()
    total_w = total_j = None
    idle_w = idle_j = 0.0
    window = None
    for result in results:
        if not result.ok:
            continue
        now = result.value
        power = cluster_power(now.snapshot, sites[result.cluster.name], now.facility)
        if power.it_power_watts is not None:
            total_w = (total_w or 0.0) + power.it_power_watts
        _now_rows(by, now, acc)
        if by in ("namespace", "pod") and power.idle_power_watts is not None:
            idle_w += power.idle_power_watts
        if now.energy is not None:
            window = now.energy.window_seconds
            it = now.energy.it_joules
            if it is not None:
                total_j = (total_j or 0.0) + it
            idle_j += _energy_rows(by, now.energy, acc)
    rows = []
    for key in sorted(set(acc.watts) | set(acc.joules), key=lambda k: tuple(str(v) for v in k)):
        row: dict[str, Any] = dict(zip(_KEYS[by], key, strict=True))
        watts, joules = acc.watts.get(key), acc.joules.get(key)
        row.update(kind="group", power_watts=watts, energy_kwh=None if joules is None else joules / J_PER_KWH)
        row["share_percent"] = share_percent(watts, total_w)
        rows.append(row)
    has_idle = by in ("namespace", "pod")
    rows_w = sum(acc.watts.values())
    rows_j = sum(acc.joules.values())
    rest_w = None if total_w is None else total_w - rows_w - (idle_w if has_idle else 0.0)
    rest_j = None if total_j is None else total_j - rows_j - (idle_j if has_idle else 0.0)
    rows.append(_special(by, IDLE, "idle", idle_w if has_idle else 0.0, idle_j if has_idle else 0.0, total_w, total_j))
    rows.append(_special(by, UNATTRIBUTED, "unattributed", rest_w, rest_j, total_w, total_j))
    if window is None:
        for row in rows:
            row["energy_kwh"] = None
    missing = [r.cluster.name for r in results if not r.ok]
    totals = {
        "power_watts": total_w,
        "energy_kwh": None if total_j is None else total_j / J_PER_KWH,
        "window_seconds": window,
        "partial": bool(missing),
        "missing_clusters": missing,
    }
    return rows, totals
