"""A window's energy of one cluster with its facility figure: what every energy answer starts from.

The node, pod and device energy is :mod:`infrastructure.services.energy` (one
energy request plus the accelerators' device inventory at the window's end);
this adds the cluster's facility power over the window when it has a facility
query, for PUE, carbon and cost (:mod:`monitoring.economics`).
"""

from __future__ import annotations

from typing import Any

from clusters.prometheus.threads import beside
from infrastructure.services.energy import PARTS, ClusterEnergy, Parts, cluster_energy
from monitoring.economics import Site, fetch_facility

__all__ = ["PARTS", "ClusterEnergy", "Parts", "fetch_energy"]


def fetch_energy(
    client: Any, cluster: Any, site: Site, end: float, window_seconds: int, inventory: Any | None = None
) -> ClusterEnergy:
    """Energy of one cluster over ``[end - window, end]`` and its facility figure (in a fan-out worker).

    ``inventory``: the devices at ``end`` when the caller has them (else fetched, cached).
    """
    facility = beside(fetch_facility, client, site, end, window_seconds)
    out = cluster_energy(client, cluster, end, window_seconds, inventory)
    out.facility = facility.result()
    return out
