"""The label vocabulary of placement: which labels may say where a series is, per source.

Exporters name the node, the pod and the device in different labels, and the
user's Prometheus renames them again (``exported_*`` without label honour,
relabelled node labels, addresses in ``instance``, replica labels from HA
pairs): ``docs/SCRAPE-SETUPS.md``. This module is the one list of those names.
Query builders keep :func:`keys` in their ``by (...)`` clauses, so that an
aggregated series still carries whatever can place it, and drop the replica
labels with :func:`one_replica`, so that an HA pair is counted once.
"""

from __future__ import annotations

# Sources: which exporter a series comes from (each names things its own way).
DCGM = "dcgm"
FURIOSA = "furiosa"
REBELLIONS = "rebellions"
KEPLER = "kepler"
IPMI = "ipmi"
CADVISOR = "cadvisor"
NODE_EXPORTER = "node_exporter"
LIBVIRT = "libvirt"
SOURCES = (DCGM, FURIOSA, REBELLIONS, KEPLER, IPMI, CADVISOR, NODE_EXPORTER, LIBVIRT)

# Labels that name the node: added by relabelling, or (``hostname``) set by the NPU
# exporters and newer dcgm-exporter; in the order we trust them. Every value is checked
# against the cluster's nodes.
RELABELLED_NODE = (
    "node",
    "kubernetes_node",
    "nodename",
    "node_name",
    "kubernetes_node_name",
    "exported_node",
    "hostname",
)
# Labels an exporter sets itself to name its host: checked against the cluster's nodes
# too, because they may hold a pod name, "nvidia-dcgm" or "localhost" instead.
EXPORTER_NODE = {
    DCGM: ("Hostname",),
    # Kepler 0.7 writes the node into its own ``instance``: kept as ``exported_instance``
    # without label honour, as ``instance`` with it (then the scrape address is gone).
    KEPLER: ("exported_instance",),
}
INSTANCE = "instance"
# The scrape target's own pod (ServiceMonitor / annotation jobs add them).
TARGET_POD = ("namespace", "pod")
# Workload labels of device exporters: as exported, renamed without honour, and the old spelling.
WORKLOAD = (
    ("exported_namespace", "exported_pod", "exported_container"),
    ("exported_pod_namespace", "exported_pod_name", "exported_container_name"),
    ("pod_namespace", "pod_name", "container_name"),
    ("namespace", "pod", "container"),
)
# Labels Prometheus HA pairs and global queriers add per replica (Prometheus Operator,
# Cortex/Mimir, Thanos defaults).
REPLICA_LABELS = ("prometheus_replica", "replica", "__replica__")


def keys(source: str, *own: str, workload: bool = False) -> str:
    """A ``by (...)`` list keeping what can place a series of ``source``, plus the caller's own labels.

    ``workload=True`` keeps a device exporter's workload labels too (which pod holds
    it). The scrape target's ``namespace``/``pod`` are kept except for cAdvisor, whose
    ``namespace``/``pod`` are the workloads themselves (the kubelet honours them), and
    except for device series aggregated over time without their workload: with
    honoured labels those change when a pod attaches, which would split one device.
    """
    names = [*RELABELLED_NODE, INSTANCE, *EXPORTER_NODE.get(source, ())]
    device = source in (DCGM, FURIOSA, REBELLIONS)
    if source != CADVISOR and (workload or not device):
        names += TARGET_POD
    if workload and device:
        names += [label for triple in WORKLOAD for label in triple]
    names += own
    return ", ".join(dict.fromkeys(names))


def one_replica(expr: str) -> str:
    """``expr`` with the replica labels aggregated away (``max``: the replicas saw the same thing).

    Apply it before any ``sum`` or ``count`` over series a replica pair may double. It
    drops the metric name, like every aggregation.
    """
    return f"max without ({', '.join(REPLICA_LABELS)}) ({expr})"
