"""Group per-cluster energy into the rows of ``/monitoring/energy``, with totals that add up.

Every group-by is computed from the same :class:`ClusterEnergy` answers. The
units being grouped are pods and, per node, the node's idle energy (see
:meth:`ClusterEnergy.idle`):

* ``idle=node``: idle energy stays a unit of its own; it becomes rows flagged
  ``idle: true`` (``namespace``/``pod`` = ``"__idle__"`` and the ``node`` named;
  for ``group_by=node`` the node's idle row, for ``cluster`` one idle row per cluster);
* ``idle=share``: each node's idle energy is spread over the pods on that node in
  proportion to their energy (per part, so energy is conserved part by part); a
  node without any pod energy keeps an idle row (nothing to spread it over).

The rows therefore always add up to the nodes' energy (cpu + dram + gpu + npu).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clusters.prometheus.fanout import ClusterResult
from monitoring.economics import J_PER_KWH, Pue, Site, money_fields, pue_of
from monitoring.services.energy import PARTS, ClusterEnergy, Parts

GROUP_BYS = ("cluster", "namespace", "node", "pod")
IDLE_MODES = ("node", "share")
IDLE = "__idle__"
KWH_FIELDS = (*(f"{p}_energy_kwh" for p in PARTS), "energy_kwh")
MONEY_FIELDS = ("facility_energy_kwh", "carbon_grams", "cost")


@dataclass
class _Unit:
    """Something energy is attributed to: a pod, or a node's idle energy."""

    cluster: str
    node: str | None
    namespace: str | None
    pod: str | None
    idle: bool
    parts: Parts = field(default_factory=Parts)


def cluster_pue(site: Site, energy: ClusterEnergy) -> Pue:
    """A window's PUE: mean facility watts / mean IT watts (or the design PUE)."""
    it = energy.it_joules
    return pue_of(site, None if it is None else it / energy.window_seconds, energy.facility)


def _units(energy: ClusterEnergy, idle_mode: str) -> list[_Unit]:
    c = energy.cluster
    units = [_Unit(c, p.node, ns, name, False, Parts(**vars(p.parts))) for (ns, name), p in energy.pods.items()]
    for node in sorted(energy.nodes):
        idle = energy.idle(node)
        if idle.total is None:
            continue
        on_node = [u for u in units if u.node == node and (u.parts.total or 0.0) > 0.0]
        weight = sum(u.parts.total or 0.0 for u in on_node)
        if idle_mode == "share" and weight > 0.0:
            # Weights are taken before any share is added (adding changes the totals).
            shares = {id(u): (u.parts.total or 0.0) / weight for u in on_node}
            for u in on_node:
                for part in PARTS:
                    value = getattr(idle, part)
                    if value is not None:
                        u.parts.add(part, value * shares[id(u)])
        else:
            units.append(_Unit(c, node, IDLE, IDLE, True, idle))
    return units


def _key(u: _Unit, group_by: str) -> tuple:
    if group_by == "cluster":
        return (u.cluster, u.idle)
    if group_by == "node":
        return (u.cluster, u.node or "", u.idle)
    if group_by == "namespace":
        return (u.cluster, u.namespace or "", u.node if u.idle else "", u.idle)
    return (u.cluster, u.namespace or "", u.pod or "", u.node if u.idle else "", u.idle)


def _row(u: _Unit, group_by: str) -> dict:
    row: dict[str, Any] = {"cluster": u.cluster}
    if group_by == "node":
        row["node"] = u.node
    elif group_by in ("namespace", "pod"):
        row["namespace"] = u.namespace
        if group_by == "pod":
            row["pod"] = u.pod
        row["node"] = u.node if (u.idle or group_by == "pod") else None
    row["idle"] = u.idle
    return row


def _kwh(joules: float | None) -> float | None:
    return None if joules is None else joules / J_PER_KWH


def group_energy(
    results: list[ClusterResult[ClusterEnergy]], sites: dict[str, Site], group_by: str, idle_mode: str
) -> tuple[list[dict], dict, dict[str, Pue]]:
    """Rows (one per group), totals, and the PUE used for each answering cluster."""
    groups: dict[tuple, tuple[dict, Parts]] = {}
    pues: dict[str, Pue] = {}
    for result in results:
        if not result.ok:
            continue
        energy = result.value
        pues[energy.cluster] = cluster_pue(sites[energy.cluster], energy)
        for u in _units(energy, idle_mode):
            key = _key(u, group_by)
            if key not in groups:
                groups[key] = (_row(u, group_by), Parts())
            for part in PARTS:
                groups[key][1].add(part, getattr(u.parts, part))
    rows = []
    for key in sorted(groups, key=lambda k: tuple("" if v is None else str(v) for v in k)):
        row, parts = groups[key]
        for part in PARTS:
            row[f"{part}_energy_kwh"] = _kwh(getattr(parts, part))
        row["energy_kwh"] = _kwh(parts.total)
        row.update(money_fields(row["energy_kwh"], pues[row["cluster"]], sites[row["cluster"]]))
        rows.append(row)
    return rows, totals_of(rows, results), pues


def _sum_or_none(rows: list[dict], name: str) -> float | None:
    """Sum of a field; None when a row with energy lacks it (a partial sum would mislead)."""
    total = 0.0
    for row in rows:
        value = row.get(name)
        if value is None:
            if row.get("energy_kwh"):
                return None
            continue
        total += value
    return total if rows else None


def totals_of(rows: list[dict], results: list[ClusterResult]) -> dict:
    """The totals row: sums of the rows, and whether clusters are missing from them."""
    missing = [r.cluster.name for r in results if not r.ok]
    totals: dict[str, Any] = {}
    for name in KWH_FIELDS:
        known = [row[name] for row in rows if row.get(name) is not None]
        totals[name] = sum(known) if known else None
    currencies = {row.get("currency") for row in rows if row.get("cost") is not None}
    for name in MONEY_FIELDS:
        totals[name] = _sum_or_none(rows, name)
    if len(currencies) > 1:
        totals["cost"] = None  # money in different currencies does not add up
    totals["currency"] = currencies.pop() if len(currencies) == 1 else None
    totals["partial"] = bool(missing)
    totals["missing_clusters"] = missing
    return totals
