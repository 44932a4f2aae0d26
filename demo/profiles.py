"""Scrape profiles: how one Prometheus setup turns a scrape target into stored labels.

Exporters print the same text whoever scrapes them; what a Prometheus server
*stores* depends on its setup (``docs/SCRAPE-SETUPS.md``): which target labels
service discovery and relabelling give a target (``instance`` as a node name,
a node IP or a pod IP; ``namespace/pod/container`` of the exporter pod; a
``node`` label), whether the job honours the exporter's own labels, and how
many HA replicas store each series. A `ScrapeProfile` is one such setup,
chosen per simulated cluster. The backfill (`demo.backfill`) and the live
scrape config (`demo.promconfig`) both ask `scrapes_of` for a target's
`Scrape` list, so history and live data cannot be told apart; the ground
truth (`demo.truth`) never looks at profiles.

Profiles (``PROFILE_NAMES`` is also the order ``mixed`` deals them out):

* ``kube-prometheus-stack`` - Prometheus Operator ServiceMonitors: exporter
  pods at their pod IP with ``namespace/pod/container/service/endpoint``
  without label honour; host-network DaemonSets at the node IP; the kubelet
  (cAdvisor) at ``<node IP>:10250`` with ``node`` and label honour;
  kube-state-metrics with label honour.
* ``annotations`` - the plain ``prometheus`` chart's ``kubernetes-pods``,
  ``kubernetes-service-endpoints`` and ``kubernetes-nodes-cadvisor`` jobs:
  every job honours labels, pod targets get ``namespace/pod/node``.
* ``thanos-replicas`` - kube-prometheus-stack seen through a Thanos querier
  without a replica label: every series twice, ``prometheus_replica`` apart.
* ``standalone-dcgm`` - kube-prometheus-stack with the GPU Operator's
  standalone DCGM: dcgm-exporter's ``Hostname`` is ``nvidia-dcgm`` everywhere.
* ``node-names`` - the simulator's original shape: ``instance="<node>:<port>"``,
  no label honour. The default, so callers that ask for nothing get it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from demo.fleet import CLUSTER_TARGETS, PER_NODE_PORTS

if TYPE_CHECKING:
    from demo.fleet import Fleet, SimNode, SimPod, Target

DEFAULT_PROFILE = "node-names"
MIXED = "mixed"  # cluster i gets PROFILE_NAMES[i % len(PROFILE_NAMES)]
REPLICA_LABEL = "prometheus_replica"
THANOS_REPLICAS = ("prometheus-k8s-0", "prometheus-k8s-1")
STANDALONE_DCGM_HOSTNAME = "nvidia-dcgm"  # the GPU Operator's host-engine Service

# Exporters that run as ordinary pods; the fleet has a system pod of each per node.
EXPORTER_PODS = {
    "dcgm": "dcgm-exporter",
    "kepler": "kepler",
    "furiosa": "furiosa-metrics-exporter",
    "rebellions": "rbln-metrics-exporter",
}
# Host-network DaemonSets: scraped at the node's IP. The fleet has no pod for
# them (nor a row in kube-state-metrics); the annotations profile names one.
HOST_NETWORK = {"node_exporter": "node-exporter", "ipmi": "ipmi-exporter", "libvirt": "libvirt-exporter"}
# Cluster-wide exporters: one Deployment pod each, made up (there is no SimPod).
CLUSTER_PODS = {  # exporter -> (namespace, app, pod IP, endpoint port name)
    "ksm": ("monitoring", "kube-state-metrics", "10.244.250.10", "http"),
    "openstack": ("openstack", "openstack-exporter", "10.244.250.11", "metrics"),
}
_SUFFIX_CHARS = "bcdfghjklmnpqrstvwxz2456789"  # Kubernetes' generated-name alphabet


@dataclass(frozen=True)
class Scrape:
    """How one scrape config stores one target: its visible target labels and label honour.

    `labels` always hold ``job`` and ``instance``. `config` tells apart scrape
    configs that scrape the same target (HA replicas); "" for the only one.
    """

    labels: tuple[tuple[str, str], ...]
    honor_labels: bool
    config: str = ""

    @property
    def job(self) -> str:
        return dict(self.labels)["job"]

    @property
    def instance(self) -> str:
        return dict(self.labels)["instance"]


Labeller = Callable[["Fleet", "Target"], tuple[dict[str, str], bool]]


@dataclass(frozen=True)
class ScrapeProfile:
    """One Prometheus setup: target labels and label honour per target, replicas, DCGM's host name."""

    name: str
    summary: str
    labeller: Labeller
    replicas: tuple[str, ...] = ()  # prometheus_replica values; () = a single Prometheus
    dcgm_hostname: str | None = None  # None: the node name (the chart sets NODE_NAME)

    def hostname(self, node_name: str) -> str:
        """dcgm-exporter's ``Hostname`` label on `node_name`."""
        return self.dcgm_hostname or node_name

    def scrapes(self, fleet: Fleet, target: Target) -> tuple[Scrape, ...]:
        """The scrapes storing `target`: one, or one per HA replica."""
        labels, honor = self.labeller(fleet, target)
        if not self.replicas:
            return (Scrape(tuple(sorted(labels.items())), honor),)
        return tuple(
            Scrape(tuple(sorted({**labels, REPLICA_LABEL: r}.items())), honor, config=r) for r in self.replicas
        )


# -- where targets live -----------------------------------------------------------------


def _port(target: Target) -> int:
    if target.node is not None:
        return PER_NODE_PORTS[target.exporter][1]
    return int(CLUSTER_TARGETS[target.exporter][1].rsplit(":", 1)[1])


def _node(fleet: Fleet, target: Target) -> SimNode:
    assert target.node is not None, target
    return fleet.cluster(target.cluster).node(target.node)


def exporter_pod(fleet: Fleet, target: Target) -> SimPod:
    """The exporter's own (system) pod on the target's node, as the fleet lays it out."""
    app = EXPORTER_PODS[target.exporter]
    for pod in _node(fleet, target).pods:
        if pod.system and pod.owner_name == app:
            return pod
    raise LookupError(f"no {app} pod on {target.cluster}/{target.node}")


def _suffix(*parts: str, n: int = 5) -> str:
    """A stable generated-name suffix (hash, not the fleet's RNG: the layout must not move)."""
    digest = hashlib.sha256("/".join(parts).encode()).digest()
    return "".join(_SUFFIX_CHARS[b % len(_SUFFIX_CHARS)] for b in digest[:n])


def host_network_pod(target: Target) -> tuple[str, str]:
    """(namespace, name) of the made-up DaemonSet pod of a host-network exporter."""
    app = HOST_NETWORK[target.exporter]
    return "monitoring", f"{app}-{_suffix(target.cluster, target.node or '', app)}"


def cluster_pod(target: Target) -> tuple[str, str, str, str]:
    """(namespace, pod name, container, pod IP) of the made-up pod of a cluster-wide exporter."""
    namespace, app, ip, _ = CLUSTER_PODS[target.exporter]
    replica_set = hashlib.sha256(f"{target.cluster}/{app}".encode()).hexdigest()[:10]
    return namespace, f"{app}-{replica_set}-{_suffix(target.cluster, app)}", app, ip


# -- the setups ---------------------------------------------------------------------------


def _node_names(fleet: Fleet, target: Target) -> tuple[dict[str, str], bool]:
    """Static targets named after the node; nothing honoured (Kepler 0.7's instance -> exported_instance)."""
    return {"instance": target.instance, "job": target.job}, False


def _operator(fleet: Fleet, target: Target) -> tuple[dict[str, str], bool]:
    """kube-prometheus-stack: ServiceMonitors (prometheus-operator's endpoints relabelling)."""
    port, job = _port(target), target.job
    if target.exporter in EXPORTER_PODS:
        pod = exporter_pod(fleet, target)
        labels = {
            "instance": f"{pod.ip}:{port}",
            "job": job,
            "namespace": pod.namespace,
            "pod": pod.name,
            "container": pod.containers[0].name,
            "service": job,
            "endpoint": "metrics",
        }
        # The exporters' charts leave honorLabels false: workload labels become exported_*.
        return labels, False
    if target.exporter == "cadvisor":
        node = _node(fleet, target)
        # The chart's kubelet ServiceMonitor: honorLabels true, node and metrics_path added.
        # namespace is the kubelet Service's; cAdvisor always prints one (maybe
        # empty), which wins, so it shows only on up{job="kubelet"}.
        labels = {
            "instance": f"{node.ip}:{port}",
            "job": job,
            "node": node.name,
            "namespace": "kube-system",
            "service": job,
            "endpoint": "https-metrics",
            "metrics_path": "/metrics/cadvisor",
        }
        return labels, True
    if target.exporter in HOST_NETWORK:
        # No pod labels: the only identity is the node's address (kube_node_info{internal_ip}).
        return {"instance": f"{_node(fleet, target).ip}:{port}", "job": job}, False
    namespace, pod, container, ip = cluster_pod(target)
    labels = {
        "instance": f"{ip}:{port}",
        "job": job,
        "namespace": namespace,
        "pod": pod,
        "container": container,
        "service": job,
        "endpoint": CLUSTER_PODS[target.exporter][3],
    }
    # kube-state-metrics' ServiceMonitor honours labels so its namespace/pod describe the objects.
    return labels, target.exporter == "ksm"


def _annotations(fleet: Fleet, target: Target) -> tuple[dict[str, str], bool]:
    """The plain ``prometheus`` chart: annotation-discovered pods and services, all honouring labels."""
    port = _port(target)
    if target.exporter == "cadvisor":
        # Kubernetes SD role node: the address is the node name (the API server proxy).
        return {"instance": target.node or "", "job": "kubernetes-nodes-cadvisor"}, True
    if target.node is None:
        # kube-state-metrics and openstack-exporter, found through their annotated Service.
        namespace, name, _container, ip = cluster_pod(target)
        return {
            "instance": f"{ip}:{port}",
            "job": "kubernetes-service-endpoints",
            "namespace": namespace,
            "pod": name,
        }, True
    if target.exporter in EXPORTER_PODS:
        pod = exporter_pod(fleet, target)
        address, namespace, name = pod.ip, pod.namespace, pod.name
    else:
        # A host-network pod's IP is its node's.
        address, (namespace, name) = _node(fleet, target).ip, host_network_pod(target)
    labels = {"instance": f"{address}:{port}", "job": "kubernetes-pods", "namespace": namespace, "pod": name}
    return {**labels, "node": target.node}, True


PROFILES: dict[str, ScrapeProfile] = {
    p.name: p
    for p in (
        ScrapeProfile("kube-prometheus-stack", "Prometheus Operator ServiceMonitors", _operator),
        ScrapeProfile("annotations", "plain prometheus chart, annotation jobs, labels honoured", _annotations),
        ScrapeProfile(
            "thanos-replicas", "kube-prometheus-stack through Thanos without dedup", _operator, THANOS_REPLICAS
        ),
        ScrapeProfile(
            "standalone-dcgm",
            "kube-prometheus-stack, dcgm-exporter on the standalone DCGM",
            _operator,
            dcgm_hostname=STANDALONE_DCGM_HOSTNAME,
        ),
        ScrapeProfile("node-names", "static targets named after nodes (the original shape)", _node_names),
    )
}
PROFILE_NAMES: tuple[str, ...] = tuple(PROFILES)


# -- choosing profiles per cluster ------------------------------------------------------------


def get_profile(name: str) -> ScrapeProfile:
    """The profile called `name` (ValueError naming the choices otherwise)."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown scrape profile {name!r}; choose from {', '.join(PROFILE_NAMES)}") from None


def mixed_profiles(clusters: Iterable[str]) -> dict[str, str]:
    """Cluster i -> ``PROFILE_NAMES[i % 5]``: several shapes side by side (the demo's default)."""
    return {name: PROFILE_NAMES[i % len(PROFILE_NAMES)] for i, name in enumerate(clusters)}


ProfilesSpec = str | Mapping[str, str] | None


def resolve_profiles(spec: ProfilesSpec, clusters: Iterable[str]) -> dict[str, ScrapeProfile]:
    """A profile for every cluster.

    `spec`: None (``node-names`` everywhere), one profile name for all,
    ``"mixed"``, or a mapping cluster -> profile name (unlisted clusters get
    ``node-names``; unknown clusters are an error).
    """
    names = list(clusters)
    if spec is None:
        chosen: Mapping[str, str] = {}
    elif isinstance(spec, str):
        chosen = mixed_profiles(names) if spec == MIXED else dict.fromkeys(names, spec)
    else:
        chosen = spec
        unknown = sorted(set(chosen) - set(names))
        if unknown:
            raise ValueError(f"scrape profiles given for unknown clusters {unknown}; clusters are {names}")
    return {name: get_profile(chosen.get(name, DEFAULT_PROFILE)) for name in names}


def parse_profiles(text: str) -> ProfilesSpec:
    """The ``--profiles`` option: ``mixed``, a profile name, or ``cluster=profile,cluster=profile``."""
    text = text.strip()
    if "=" not in text:
        if text != MIXED:
            get_profile(text)
        return text
    pairs: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        cluster, sep, profile = item.partition("=")
        if not sep or not cluster.strip():
            raise ValueError(f"expected cluster=profile, got {item!r}")
        pairs[cluster.strip()] = get_profile(profile.strip()).name
    return pairs


def scrapes_of(fleet: Any, target: Any) -> tuple[Scrape, ...]:
    """How `target` is stored: the fleet's profile, or today's shape for fleets without profiles.

    The harness tests drive the backfill with small stand-in fleets that only
    have ``targets/honor_labels/render``; they keep the node-names shape.
    """
    scrapes = getattr(fleet, "scrapes", None)
    if scrapes is not None:
        return scrapes(target)
    labels = (("instance", target.instance), ("job", target.job))
    return (Scrape(labels, bool(fleet.honor_labels(target))),)
