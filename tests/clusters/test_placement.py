"""The placement model on every label shape real scrape setups produce (docs/SCRAPE-SETUPS.md).

Pure unit tests: a cluster of two nodes and a few pods as kube-state-metrics
describes them, and series labelled the ways Prometheus stores them. The
integration tests under each scrape profile check the same rules end to end.
"""

from __future__ import annotations

import pytest

from clusters import placement as P
from clusters.placement.model import ADDRESS, EXPORTER_POD, LABEL, WORKLOAD_POD
from clusters.prometheus.results import Sample

NODES = {"gpu-node-1": "10.20.0.11", "gpu-node-2": "fd00::12"}
PODS = [
    # the dcgm-exporter pods (pod network) and a host-network exporter
    P.PodRef("gpu-operator", "nvidia-dcgm-exporter-x7k2p", "u-dcgm-1", "gpu-node-1", "10.244.1.17", "10.20.0.11"),
    P.PodRef("gpu-operator", "nvidia-dcgm-exporter-q9w8e", "u-dcgm-2", "gpu-node-2", "10.244.2.17", "fd00::12"),
    P.PodRef("monitoring", "kepler-abcde", "u-kepler-1", "gpu-node-1", "10.20.0.11", "10.20.0.11"),
    # workloads
    P.PodRef("team-a", "train-0", "u-train-0", "gpu-node-1", "10.244.1.30", "10.20.0.11"),
    P.PodRef("team-b", "infer-0", "u-infer-0", "gpu-node-2", "10.244.2.31", "fd00::12"),
]


@pytest.fixture
def placement() -> P.Placement:
    return P.Placement.build(NODES, PODS)


# -- 1. instance as an address or a node name; relabelled node labels -----------------------------
@pytest.mark.parametrize(
    ("labels", "node", "rule"),
    [
        ({"instance": "10.20.0.11:9290"}, "gpu-node-1", ADDRESS),  # host-network DaemonSet
        ({"instance": "10.244.1.17:9400"}, "gpu-node-1", ADDRESS),  # the exporter pod's IP
        ({"instance": "gpu-node-2:9100"}, "gpu-node-2", LABEL),
        ({"instance": "gpu-node-2"}, "gpu-node-2", LABEL),  # Kubernetes SD node role: no port
        ({"instance": "[fd00::12]:9100"}, "gpu-node-2", ADDRESS),  # IPv6
        ({"instance": "fd00::12"}, "gpu-node-2", ADDRESS),
        ({"instance": "10.9.9.9:9100", "node": "gpu-node-1"}, "gpu-node-1", LABEL),
        ({"instance": "10.9.9.9:9100", "kubernetes_node": "gpu-node-2"}, "gpu-node-2", LABEL),
        ({"instance": "10.9.9.9:9100", "nodename": "gpu-node-2"}, "gpu-node-2", LABEL),
        ({"instance": "10.9.9.9:9100", "hostname": "gpu-node-2"}, "gpu-node-2", LABEL),
        ({"instance": "10.9.9.9:9100", "node_name": "gpu-node-1"}, "gpu-node-1", LABEL),
    ],
)
def test_node_from_addresses_and_relabelled_labels(placement, labels, node, rule):
    assert placement.node(labels, P.IPMI) == P.Where(node, rule)


def test_an_unknown_address_is_never_made_a_node(placement):
    where = placement.node({"instance": "10.99.0.1:9290", "job": "ipmi"}, P.IPMI)
    assert where.node is None
    tally = P.Tally()
    assert tally.count(P.IPMI, where, {"instance": "10.99.0.1:9290", "__name__": "ipmi_up"}) is None
    (warning,) = P.warnings("seoul-a", tally)
    assert warning["source"] == "ipmi" and warning["series"] == 1
    assert warning["example"] == {"instance": "10.99.0.1:9290"}


# -- 2. honor_labels false: exported_* workload labels; namespace/pod name the exporter -------------
def test_exported_labels_name_the_workload_and_the_exporter_pod_is_not_allocated(placement):
    allocated = {
        "UUID": "GPU-1",
        "Hostname": "gpu-node-1",
        "exported_namespace": "team-a",
        "exported_pod": "train-0",
        "exported_container": "main",
        "namespace": "gpu-operator",
        "pod": "nvidia-dcgm-exporter-x7k2p",
        "container": "nvidia-dcgm-exporter",
        "instance": "10.244.1.17:9400",
    }
    assert placement.workload(allocated) == P.Workload("team-a", "train-0", "main")
    idle = {k: v for k, v in allocated.items() if not k.startswith("exported_")}
    assert placement.workload(idle) is None
    assert placement.node(idle, P.DCGM) == P.Where("gpu-node-1", LABEL)


def test_honoured_labels_an_idle_gpu_keeps_the_exporter_pod_and_is_not_allocated(placement):
    # The plain prometheus chart: honor_labels true, target labels namespace/pod/node.
    idle = {"UUID": "GPU-2", "namespace": "gpu-operator", "pod": "nvidia-dcgm-exporter-q9w8e"}
    idle["instance"] = "10.244.2.17:9400"
    assert placement.workload(idle) is None
    allocated = {**idle, "namespace": "team-b", "pod": "infer-0", "container": "srv"}
    assert placement.workload(allocated) == P.Workload("team-b", "infer-0", "srv")


def test_old_pod_label_spelling(placement):
    labels = {"UUID": "GPU-1", "pod_namespace": "team-a", "pod_name": "train-0", "container_name": "main"}
    assert placement.workload(labels) == P.Workload("team-a", "train-0", "main")
    renamed = {"UUID": "GPU-1", "exported_pod_namespace": "team-a", "exported_pod_name": "train-0"}
    assert placement.workload(renamed) == P.Workload("team-a", "train-0", None)


# -- 3. a dcgm Hostname that is not a node ---------------------------------------------------------
@pytest.mark.parametrize("hostname", ["nvidia-dcgm", "localhost", "nvidia-dcgm-exporter-x7k2p", None])
def test_dcgm_hostname_that_is_not_a_node_falls_back_to_the_exporter(placement, hostname):
    labels = {"UUID": "GPU-1", "namespace": "gpu-operator", "pod": "nvidia-dcgm-exporter-x7k2p"}
    if hostname:
        labels["Hostname"] = hostname
    assert placement.node(labels, P.DCGM) == P.Where("gpu-node-1", EXPORTER_POD)
    labels["instance"] = "10.244.1.17:9400"
    assert placement.node(labels, P.DCGM) == P.Where("gpu-node-1", ADDRESS)


# -- 4. Kepler ----------------------------------------------------------------------------------------
def test_kepler_07_node_series_with_and_without_label_honour(placement):
    # Without honour the node is in exported_instance and instance is the scrape address.
    assert placement.node({"exported_instance": "gpu-node-2", "instance": "10.20.0.11:9102"}, P.KEPLER) == P.Where(
        "gpu-node-2", LABEL
    )
    # With honour Kepler's own instance (the node name) replaced the address.
    assert placement.node({"instance": "gpu-node-1"}, P.KEPLER) == P.Where("gpu-node-1", LABEL)


def test_kepler_07_container_series_have_no_node_and_are_placed_by_target_or_pod(placement):
    by_target = {"container_namespace": "team-a", "pod_name": "train-0", "instance": "10.20.0.11:9102"}
    assert placement.container_node(by_target, "team-a", "train-0") == P.Where("gpu-node-1", ADDRESS)
    unknown_target = {"container_namespace": "team-b", "pod_name": "infer-0", "instance": "10.99.0.9:9102"}
    assert placement.container_node(unknown_target, "team-b", "infer-0") == P.Where("gpu-node-2", WORKLOAD_POD)
    assert placement.container_node({}, "team-x", "gone-0").node is None


def test_kepler_010_pod_id_is_the_pod_uid(placement):
    assert placement.pod_of_uid("u-infer-0") == ("team-b", "infer-0")
    assert placement.pod_of_uid("nope") is None
    assert placement.node({"node_name": "gpu-node-2"}, P.KEPLER) == P.Where("gpu-node-2", LABEL)


# -- 5. Furiosa's kubernetes_node_name; libvirt's host from the address ------------------------------
def test_furiosa_kubernetes_node_name_and_libvirt_address(placement):
    assert placement.node({"kubernetes_node_name": "gpu-node-2", "hostname": "furiosa-x"}, P.FURIOSA).node == (
        "gpu-node-2"
    )
    assert placement.node({"instance": "10.20.0.11:9177", "domain": "instance-0001"}, P.LIBVIRT) == P.Where(
        "gpu-node-1", ADDRESS
    )


# -- kube-state-metrics itself, scraped without honour ---------------------------------------------------
def test_placement_from_samples_reads_ksm_in_either_spelling():
    samples = [
        Sample({"kcloud_part": "placement_node", "node": "n1", "internal_ip": "10.0.0.1"}, 1.0, 0.0),
        Sample(
            {
                "kcloud_part": "placement_pod",
                "namespace": "monitoring",
                "pod": "kube-state-metrics-0",
                "exported_namespace": "ml",
                "exported_pod": "job-1",
                "uid": "u1",
                "node": "n1",
                "pod_ip": "10.244.0.5",
                "host_ip": "10.0.0.1",
            },
            1.0,
            0.0,
        ),
    ]
    placement = P.Placement.from_samples(samples)
    assert placement.nodes == {"n1"}
    assert placement.pod_node("ml", "job-1") == "n1"
    assert placement.node({"instance": "10.244.0.5:8080"}, P.IPMI) == P.Where("n1", ADDRESS)


@pytest.mark.parametrize(
    ("raw", "host"),
    [
        ("10.0.3.7:9100", "10.0.3.7"),
        ("[fd00::7]:9100", "fd00::7"),
        ("[fd00::7]", "fd00::7"),
        ("fd00::7", "fd00::7"),
        ("node-1:9100", "node-1"),
        ("node-1", "node-1"),
        ("", ""),
    ],
)
def test_address_host(raw, host):
    assert P.address_host(raw) == host


def test_query_keys_keep_every_placing_label_and_replicas_are_aggregated_away():
    keys = P.keys(P.DCGM, "UUID", workload=True).split(", ")
    for label in ("instance", "node", "Hostname", "hostname", "exported_pod", "pod", "namespace", "UUID"):
        assert label in keys
    assert "prometheus_replica" not in keys
    # Without its workload a device keeps no pod label (they change when a pod attaches).
    assert not {"pod", "exported_pod", "namespace"} & set(P.keys(P.DCGM, "UUID").split(", "))
    # cAdvisor's namespace/pod are workloads: never kept as placing labels.
    assert "pod" not in P.keys(P.CADVISOR).split(", ")
    assert {"pod", "namespace"} <= set(P.keys(P.IPMI).split(", "))
    assert P.one_replica("x") == "max without (prometheus_replica, replica, __replica__) (x)"
