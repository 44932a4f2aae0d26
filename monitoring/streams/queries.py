"""PromQL of the live streams: one instant request per cluster per poll.

A stream polls every few seconds for as long as anyone watches, so each poll
costs **one** request per cluster, not the infrastructure snapshot's four.

:func:`power` brings, in one answer, exactly what a cluster's IT power and its
parts need (the same definitions as ``monitoring.services.power``), per node:

* the placement inputs (:mod:`clusters.placement`): the nodes kube-state-metrics
  knows (the snapshot's node list), their GPU/MIG/NPU capacity (a node that
  should have devices but reports none has *unknown*, not 0 W, accelerator
  power), and the pods and addresses that put every series on its node whatever
  the scrape setup;
* Kepler node power of both generations and DCMI wall power: the infrastructure
  snapshot's own node power parts (:func:`infrastructure.queries.node_power_parts`),
  so its parser reads them unchanged;
* ``gpu``/``npu``: power per physical device with its placing labels (MIG
  instances and NPU partitions repeat the device's power: ``max by`` the device key).

Per-node rows, not cluster sums: a node's power is its wall power *or* the sum
of its parts, and a part may be unknown, which only Python can decide per node.
The answer is a few rows per node and device, whatever the number of subscribers.

:func:`gpus` is the accelerators API's two GPU queries (live gauges, last seen)
joined into one request, each side tagged so ``or`` keeps both.

Each sub-expression is tagged (``kcloud_part``) because ``or`` matches label sets
without the metric name.
"""

from __future__ import annotations

from accelerators import queries as accelerator_queries
from clusters import placement
from clusters.prometheus.promql import TAG, Scope, tag, union
from infrastructure.queries import node_power_parts, npu_power

__all__ = ["GAUGES", "SEEN", "TAG", "gpus", "power"]

GAUGES, SEEN = "gauges", "seen"


def power(scope: Scope) -> str:
    """Every node's power parts of one cluster at one instant (see the module docstring)."""
    gpu = f"max by ({placement.keys(placement.DCGM, 'UUID', 'uuid')}) ({scope.sel(accelerator_queries.GPU_POWER)})"
    npu = f"max by ({placement.keys(placement.FURIOSA, 'uuid', 'arch')}) ({npu_power(scope)})"
    return union(
        *node_power_parts(scope),
        tag(gpu, "gpu"),
        tag(npu, "npu"),
        *placement.parts(scope),
    )


def gpus(scope: Scope) -> str:
    """The accelerators list's live gauges, last-seen rows and placement inputs in one request."""
    return union(
        tag(accelerator_queries.live_gauges(scope), GAUGES),
        tag(f"({accelerator_queries.last_seen(scope)})", SEEN),
        *placement.parts(scope),
    )
