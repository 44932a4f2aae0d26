"""PromQL of the live streams: one instant request per cluster per poll.

A stream polls every few seconds for as long as anyone watches, so each poll
costs **one** request per cluster, not the infrastructure snapshot's four.

:func:`power` brings, in one answer, exactly what a cluster's IT power and its
parts need (the same definitions as ``monitoring.services.power``), per node:

* ``ksm_node``: the nodes kube-state-metrics knows (the snapshot's node list);
* ``ksm_accelerators``: their GPU/MIG/NPU capacity (a node that should have
  devices but reports none has *unknown*, not 0 W, accelerator power);
* Kepler node power of both generations, tagged as the infrastructure snapshot's
  own power query tags it (0.10+ ``kepler_node_cpu_watts`` per zone, 0.7
  ``k07_node_package``/``k07_node_dram`` as ``rate`` over the same window), so
  the snapshot's parser reads it unchanged;
* ``dcmi``: IPMI DCMI wall power;
* ``gpu``/``npu``: power per physical device with its host label (MIG instances
  and NPU partitions repeat the device's power: ``max by`` the device key).

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
from clusters.prometheus.promql import Scope, names_regex, regex
from infrastructure.queries import KSM_SERIES, NPU_POWER, RATE_WINDOW, TAG, ZONES, tag, union
from infrastructure.services.snapshot import GPU_RESOURCES, NPU_RESOURCES

__all__ = ["GAUGES", "SEEN", "TAG", "gpus", "power"]

# kube-state-metrics series that name a node (the snapshot creates its nodes from these).
NODE_SERIES = (*(s for s in KSM_SERIES if s.startswith("kube_node_")), "kube_node_status_condition")
# Capacity that makes a node *expect* device readings: whole GPUs, MIG slices, NPU cards.
ACCELERATOR_RESOURCES = "|".join((*GPU_RESOURCES, "nvidia_com_mig.*", *NPU_RESOURCES))
GAUGES, SEEN = "gauges", "seen"


def power(scope: Scope) -> str:
    """Every node's power parts of one cluster at one instant (see the module docstring)."""
    nodes = f"group by (node) ({scope.sel(None, names_regex(NODE_SERIES))})"
    capacity = (
        f"max by (node, resource) ({scope.sel('kube_node_status_capacity', regex('resource', ACCELERATOR_RESOURCES))})"
    )
    k010 = f"sum by (node_name, exported_instance, instance, zone) ({scope.sel('kepler_node_cpu_watts', ZONES)})"

    def k07(zone: str) -> str:
        counter = scope.range(f"kepler_node_{zone}_joules_total", RATE_WINDOW)
        return f"sum by (exported_instance, instance) (rate({counter}))"

    gpu = f"max by (UUID, uuid, Hostname, hostname) ({scope.sel(accelerator_queries.GPU_POWER)})"
    npu_sel = scope.sel(None, names_regex(NPU_POWER), regex("label", "rms|"))
    npu = f"max by (uuid, hostname, Hostname, node) ({npu_sel})"
    dcmi = f"max by (node, instance) ({scope.sel('ipmi_dcmi_power_consumption_watts')})"
    return union(
        tag(nodes, "ksm_node"),
        tag(capacity, "ksm_accelerators"),
        tag(k010, "kepler_node_cpu_watts"),
        tag(k07("package"), "k07_node_package"),
        tag(k07("dram"), "k07_node_dram"),
        tag(dcmi, "dcmi"),
        tag(gpu, "gpu"),
        tag(npu, "npu"),
    )


def gpus(scope: Scope) -> str:
    """The accelerators list's live gauges and last-seen rows in one request (tags ``gauges``/``seen``)."""
    return union(
        tag(accelerator_queries.live_gauges(scope), GAUGES),
        tag(f"({accelerator_queries.last_seen(scope)})", SEEN),
    )
