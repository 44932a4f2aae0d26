"""Scrape profiles: the exact label sets each simulated Prometheus setup stores.

Series are taken from the backfill's own output (`openmetrics_text`, what
promtool loads); `test_profiles_prometheus.py` checks that live scrapes store
the same. The exporter's exposure of a series is read from the ``node-names``
profile, which only adds ``instance`` and ``job`` (checked first), and each
profile's expectation is written out from the fleet's objects.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess

import pytest

from demo.backfill import openmetrics_text, parse_labels
from demo.fleet import Fleet, SimPod, build_fleet
from demo.profiles import (
    DEFAULT_PROFILE,
    PROFILE_NAMES,
    REPLICA_LABEL,
    THANOS_REPLICAS,
    get_profile,
    mixed_profiles,
    parse_profiles,
    resolve_profiles,
)
from demo.promconfig import TMP_INSTANCE, prometheus_config

EPOCH = 1_700_000_000 - 1_700_000_000 % 3600
T = EPOCH + 3600
KPS, ANN, THANOS, STANDALONE, NODES = (
    "kube-prometheus-stack",
    "annotations",
    "thanos-replicas",
    "standalone-dcgm",
    "node-names",
)
KSM_IP = "10.244.250.10"

Labels = dict[str, str]


@functools.cache
def fleet(profile: str) -> Fleet:
    return build_fleet(seed=7, size="test", epoch=EPOCH, profiles=profile)


@functools.cache
def stored(profile: str, cluster_label: bool = False) -> tuple[Labels, ...]:
    """Every series the backfill stores at `T`, all clusters, with ``__name__``."""
    f = fleet(profile)
    out = []
    for c in f.clusters:
        for line in openmetrics_text(f, c.name, [T], cluster_label=cluster_label).splitlines():
            if line.startswith("#"):
                continue
            name, _, body = line.rsplit(" ", 2)[0].partition("{")
            out.append({"__name__": name, **dict(parse_labels(body[:-1]))})
    return tuple(out)


def find(profile: str, name: str, **match: str) -> list[Labels]:
    return [s for s in stored(profile) if s["__name__"] == name and all(s.get(k) == v for k, v in match.items())]


def one(profile: str, name: str, **match: str) -> Labels:
    found = find(profile, name, **match)
    assert len(found) == 1, (profile, name, match, found[:3])
    return found[0]


def exposed(name: str, **match: str) -> Labels:
    """What the exporter printed (empty values dropped): the node-names series without its target labels."""
    series = one(NODES, name, **match)
    labels = {k: v for k, v in series.items() if k not in ("instance", "job")}
    if "exported_instance" in labels:  # Kepler 0.7 node series print their own instance
        labels["instance"] = labels.pop("exported_instance")
    return labels


def system_pod(profile: str, cluster: str, node: str, app: str) -> SimPod:
    return next(p for p in fleet(profile).cluster(cluster).node(node).pods if p.system and p.owner_name == app)


def operator_pod(pod: SimPod, port: int, job: str) -> Labels:
    """Target labels of a ServiceMonitor endpoint on an exporter pod."""
    return {
        "instance": f"{pod.ip}:{port}",
        "job": job,
        "namespace": pod.namespace,
        "pod": pod.name,
        "container": pod.containers[0].name,
        "service": job,
        "endpoint": "metrics",
    }


def annotated_pod(pod: SimPod, port: int) -> Labels:
    """Target labels of the plain chart's kubernetes-pods job on a pod."""
    return {"instance": f"{pod.ip}:{port}", "job": "kubernetes-pods", "namespace": pod.namespace, "pod": pod.name}


def exported(labels: Labels) -> Labels:
    return {f"exported_{k}": v for k, v in labels.items()}


def workload(labels: Labels) -> tuple[Labels, Labels]:
    """(labels without namespace/pod/container, those three)."""
    keys = ("namespace", "pod", "container")
    return {k: v for k, v in labels.items() if k not in keys}, {k: v for k, v in labels.items() if k in keys}


# -- choosing profiles --------------------------------------------------------------------


def test_profile_names_and_mixed_order() -> None:
    assert set(PROFILE_NAMES) == {NODES, KPS, ANN, STANDALONE, THANOS}
    assert PROFILE_NAMES[0] == KPS
    names = ["a", "b", "c", "d", "e", "f"]
    assert list(mixed_profiles(names).values()) == [*PROFILE_NAMES, PROFILE_NAMES[0]]
    assert {c: p.name for c, p in resolve_profiles(None, names).items()} == dict.fromkeys(names, DEFAULT_PROFILE)
    assert {c: p.name for c, p in resolve_profiles({"b": ANN}, names).items()}["b"] == ANN
    assert resolve_profiles({"b": ANN}, names)["a"].name == NODES
    with pytest.raises(ValueError, match="unknown clusters"):
        resolve_profiles({"zz": ANN}, names)
    with pytest.raises(ValueError, match="unknown scrape profile"):
        resolve_profiles("prometheus-operator", names)


def test_profiles_option() -> None:
    assert parse_profiles("mixed") == "mixed"
    assert parse_profiles(" annotations ") == ANN
    assert parse_profiles("seoul-a=thanos-replicas, busan-b=node-names") == {"seoul-a": THANOS, "busan-b": NODES}
    for bad in ("nope", "seoul-a=nope", "=annotations"):
        with pytest.raises(ValueError):
            parse_profiles(bad)


def test_fleet_profiles_default_and_per_cluster() -> None:
    f = build_fleet(seed=7, size="test", epoch=EPOCH)
    assert {c.name: f.profile(c.name).name for c in f.clusters} == dict.fromkeys(
        ["seoul-a", "busan-b", "daejeon-c"], NODES
    )
    assert not any(f.honor_labels(t) for t in f.targets())
    f = build_fleet(seed=7, size="test", epoch=EPOCH, profiles="mixed")
    assert [f.profile(c.name).name for c in f.clusters] == list(PROFILE_NAMES[:3])
    f.set_profiles({"busan-b": ANN})
    assert [f.profile(c.name).name for c in f.clusters] == [NODES, ANN, NODES]
    assert all(f.honor_labels(t) for t in f.targets("busan-b"))


# -- profiles change labels only -------------------------------------------------------------


def test_exposition_and_truth_do_not_depend_on_the_profile(tmp_path) -> None:
    from demo.truth import Truth

    base = fleet(NODES)
    for name in PROFILE_NAMES:
        f = fleet(name)
        for target in base.targets():
            text, again = base.render(target, T), f.render(target, T)
            if name == STANDALONE and target.exporter == "dcgm":
                again = re.sub(r'([Hh]ostname)="nvidia-dcgm"', rf'\1="{target.node}"', again)
            assert again == text, (name, target.path)
    dumps = []
    for name in (NODES, "mixed"):
        path = tmp_path / f"{name}.json"
        Truth(build_fleet(seed=7, size="test", epoch=EPOCH, profiles=name)).dump(T, path)
        dumps.append(json.loads(path.read_text()))
    assert dumps[0] == dumps[1]


# -- node-names: the original shape ------------------------------------------------------------


def test_node_names_is_the_exposure_plus_node_address() -> None:
    node = fleet(NODES).cluster("seoul-a").node("seoul-a-gpu-00")
    g = node.gpus[1]
    assert g.pod is not None and not g.mig
    assert one(NODES, "DCGM_FI_DEV_POWER_USAGE", UUID=g.uuid) == {
        "__name__": "DCGM_FI_DEV_POWER_USAGE",
        "gpu": "1",
        "UUID": g.uuid,
        "pci_bus_id": g.pci_bus_id,
        "device": "nvidia1",
        "modelName": g.model.name,
        "Hostname": node.name,
        "DCGM_FI_DRIVER_VERSION": g.driver_version,
        "container": g.container,
        "namespace": g.pod.namespace,
        "pod": g.pod.name,
        "instance": "seoul-a-gpu-00:9400",
        "job": "dcgm-exporter",
    }
    kepler = one(
        NODES, "kepler_node_package_joules_total", exported_instance="seoul-a-gpu-00", package="0", mode="idle"
    )
    assert kepler["instance"] == "seoul-a-gpu-00:9102" and kepler["job"] == "kepler"
    assert one(NODES, "kube_node_info", node="seoul-a-gpu-00")["instance"] == "kube-state-metrics.kube-system.svc:8080"


# -- accelerators -------------------------------------------------------------------------------


def test_allocated_and_idle_gpu() -> None:
    node = "seoul-a-gpu-00"
    gpus = fleet(NODES).cluster("seoul-a").node(node).gpus
    allocated, idle = gpus[1].uuid, gpus[3].uuid
    assert gpus[1].pod is not None and gpus[3].pod is None
    dcgm = system_pod(KPS, "seoul-a", node, "dcgm-exporter")
    busy_device, busy_pod = workload(exposed("DCGM_FI_DEV_POWER_USAGE", UUID=allocated))
    idle_device = exposed("DCGM_FI_DEV_POWER_USAGE", UUID=idle)
    assert set(busy_pod) == {"namespace", "pod", "container"} and not workload(idle_device)[1]

    # kube-prometheus-stack: namespace/pod name the exporter, the workload is exported_*.
    assert one(KPS, "DCGM_FI_DEV_POWER_USAGE", UUID=allocated) == {
        **busy_device,
        **exported(busy_pod),
        **operator_pod(dcgm, 9400, "dcgm-exporter"),
    }
    assert one(KPS, "DCGM_FI_DEV_POWER_USAGE", UUID=idle) == {
        **idle_device,
        **operator_pod(dcgm, 9400, "dcgm-exporter"),
    }
    assert one(KPS, "DCGM_FI_DEV_POWER_USAGE", UUID=idle)["instance"].startswith("10.244.")

    # annotations: honoured, so an allocated GPU keeps its workload; an idle one the exporter pod.
    assert one(ANN, "DCGM_FI_DEV_POWER_USAGE", UUID=allocated) == {
        **busy_device,
        **busy_pod,
        "instance": f"{dcgm.ip}:9400",
        "job": "kubernetes-pods",
        "node": node,
    }
    assert one(ANN, "DCGM_FI_DEV_POWER_USAGE", UUID=idle) == {
        **idle_device,
        **annotated_pod(dcgm, 9400),
        "node": node,
    }

    # standalone DCGM: the same as kube-prometheus-stack but for the host engine's name.
    assert one(STANDALONE, "DCGM_FI_DEV_POWER_USAGE", UUID=allocated) == {
        **one(KPS, "DCGM_FI_DEV_POWER_USAGE", UUID=allocated),
        "Hostname": "nvidia-dcgm",
    }


def test_standalone_dcgm_names_every_gpu_nvidia_dcgm_whatever_the_label_spelling() -> None:
    hostnames = {
        (s.get("Hostname"), s.get("hostname")) for s in stored(STANDALONE) if s["__name__"].startswith("DCGM_")
    }
    assert hostnames == {("nvidia-dcgm", None), (None, "nvidia-dcgm")}  # busan-b spells it "hostname"


def test_mig_instance_rows() -> None:
    node = "seoul-a-gpu-00"
    g = fleet(NODES).cluster("seoul-a").node(node).gpus[0]
    assert [i.gi_id for i in g.mig] == [1, 5, 13] and g.mig[0].pod is not None and g.mig[2].pod is None
    dcgm = system_pod(KPS, "seoul-a", node, "dcgm-exporter")
    device, pod = workload(exposed("DCGM_FI_DEV_FB_USED", UUID=g.uuid, GPU_I_ID="1"))
    assert pod == {"namespace": g.mig[0].pod.namespace, "pod": g.mig[0].pod.name, "container": g.mig[0].container}
    assert device["GPU_I_PROFILE"] == "3g.40gb"
    assert one(KPS, "DCGM_FI_DEV_FB_USED", UUID=g.uuid, GPU_I_ID="1") == {
        **device,
        **exported(pod),
        **operator_pod(dcgm, 9400, "dcgm-exporter"),
    }
    assert one(ANN, "DCGM_FI_DEV_FB_USED", UUID=g.uuid, GPU_I_ID="1") == {
        **device,
        **pod,
        "instance": f"{dcgm.ip}:9400",
        "job": "kubernetes-pods",
        "node": node,
    }
    free = exposed("DCGM_FI_DEV_FB_USED", UUID=g.uuid, GPU_I_ID="13")
    assert one(ANN, "DCGM_FI_DEV_FB_USED", UUID=g.uuid, GPU_I_ID="13") == {
        **free,
        **annotated_pod(dcgm, 9400),
        "node": node,
    }


def test_furiosa_partition_row() -> None:
    node = "daejeon-c-npu-00"
    card = fleet(NODES).cluster("daejeon-c").node(node).npus[0]
    assert [p.cores for p in card.partitions] == ["0-3", "4-7"]
    exporter = system_pod(KPS, "daejeon-c", node, "furiosa-metrics-exporter")
    match = {"uuid": card.uuid, "core": "0-3", "label": "rms"}
    device, pod = workload(exposed("furiosa_npu_hw_power", **match))
    assert pod["pod"] == card.partitions[0].pod.name
    assert one(KPS, "furiosa_npu_hw_power", **match) == {
        **device,
        **exported(pod),
        **operator_pod(exporter, 6254, "furiosa-metrics-exporter"),
    }
    assert one(ANN, "furiosa_npu_hw_power", **match) == {
        **device,
        **pod,
        "instance": f"{exporter.ip}:6254",
        "job": "kubernetes-pods",
        "node": node,
    }
    # The whole card's row (no pod labels printed) carries the exporter pod in both.
    whole = exposed("furiosa_npu_hw_power", uuid=card.uuid, core="0-7", label="rms")
    assert one(ANN, "furiosa_npu_hw_power", uuid=card.uuid, core="0-7", label="rms") == {
        **whole,
        **annotated_pod(exporter, 6254),
        "node": node,
    }


def test_rebellions_device_prints_empty_pod_labels() -> None:
    node = "busan-b-npu-02"
    npus = fleet(NODES).cluster("busan-b").node(node).npus
    assert npus[3].pod is None and npus[2].pod is not None
    exporter = system_pod(KPS, "busan-b", node, "rbln-metrics-exporter")
    targets = operator_pod(exporter, 9090, "rbln-metrics-exporter")
    idle = exposed("rbln_npu_power", uuid=npus[3].uuid)
    assert not workload(idle)[1]  # printed as pod="" etc., dropped when stored
    # Not honoured: the target's namespace/pod/container win over the empty values.
    assert one(KPS, "rbln_npu_power", uuid=npus[3].uuid) == {**idle, **targets}
    device, pod = workload(exposed("rbln_npu_power", uuid=npus[2].uuid))
    assert one(KPS, "rbln_npu_power", uuid=npus[2].uuid) == {**device, **exported(pod), **targets}
    # Honoured: the printed empty values win, so the idle device has no namespace/pod at all.
    assert one(ANN, "rbln_npu_power", uuid=npus[3].uuid) == {
        **idle,
        "instance": f"{exporter.ip}:9090",
        "job": "kubernetes-pods",
        "node": node,
    }
    assert one(ANN, "rbln_npu_power", uuid=npus[2].uuid)["pod"] == npus[2].pod.name


# -- Kepler ------------------------------------------------------------------------------------


def test_kepler_07_node_and_container_series() -> None:
    node = "seoul-a-gpu-00"
    kepler = system_pod(KPS, "seoul-a", node, "kepler")
    match = {"package": "0", "mode": "idle"}
    own = exposed("kepler_node_package_joules_total", exported_instance=node, **match)
    assert own["instance"] == node
    rest = {k: v for k, v in own.items() if k != "instance"}
    assert one(KPS, "kepler_node_package_joules_total", exported_instance=node, **match) == {
        **rest,
        "exported_instance": node,
        **operator_pod(kepler, 9102, "kepler"),
    }
    # Honoured: Kepler's own instance (the node name) replaces the pod address.
    assert one(ANN, "kepler_node_package_joules_total", instance=node, **match) == {
        **rest,
        **annotated_pod(kepler, 9102),
        "instance": node,
        "node": node,
    }
    triton = {"container_name": "triton", "mode": "dynamic"}
    container = exposed("kepler_container_package_joules_total", **triton)
    assert "instance" not in container and container["pod_name"].startswith("triton-infer-")
    assert one(KPS, "kepler_container_package_joules_total", **triton) == {
        **container,
        **operator_pod(kepler, 9102, "kepler"),
    }
    assert one(ANN, "kepler_container_package_joules_total", **triton) == {
        **container,
        **annotated_pod(kepler, 9102),
        "node": node,
    }


def test_kepler_010_pod_series() -> None:
    node = "busan-b-gpu-00"
    g = fleet(NODES).cluster("busan-b").node(node).gpus[0]
    assert g.pod is not None
    kepler = system_pod(KPS, "busan-b", node, "kepler")
    match = {"node_name": node, "pod_name": g.pod.name, "zone": "package"}
    series = exposed("kepler_pod_cpu_joules_total", **match)
    assert series["node_name"] == node and series["pod_id"] == g.pod.uid
    assert one(KPS, "kepler_pod_cpu_joules_total", **match) == {**series, **operator_pod(kepler, 9102, "kepler")}
    assert one(ANN, "kepler_pod_cpu_joules_total", **match) == {
        **series,
        **annotated_pod(kepler, 9102),
        "node": node,
    }


# -- node-level exporters ------------------------------------------------------------------------


def test_ipmi_sensor_is_addressed_by_node_ip() -> None:
    node = fleet(NODES).cluster("seoul-a").node("seoul-a-gpu-00")
    sensor = exposed("ipmi_temperature_celsius", instance="seoul-a-gpu-00:9290", id="1")
    assert sensor == {"__name__": "ipmi_temperature_celsius", "id": "1", "name": "Inlet Temp"}
    address = f"{node.ip}:9290"
    assert one(KPS, "ipmi_temperature_celsius", instance=address, id="1") == {
        **sensor,
        "instance": address,
        "job": "ipmi-exporter",
    }
    annotated = one(ANN, "ipmi_temperature_celsius", instance=address, id="1")
    assert re.fullmatch(r"ipmi-exporter-[a-z0-9]{5}", annotated["pod"])
    assert annotated == {
        **sensor,
        "instance": address,
        "job": "kubernetes-pods",
        "namespace": "monitoring",
        "pod": annotated["pod"],
        "node": node.name,
    }
    # One made-up host-network pod per node, the same on every series of the target.
    assert one(ANN, "up", instance=address, job="kubernetes-pods", pod=annotated["pod"])
    assert len({s["pod"] for s in find(ANN, "up") if s.get("pod", "").startswith("ipmi-exporter-")}) == 9


def test_cadvisor_root_cgroup() -> None:
    node = fleet(NODES).cluster("seoul-a").node("seoul-a-gpu-00")
    root = exposed("container_cpu_usage_seconds_total", instance="seoul-a-gpu-00:10250", id="/")
    assert root == {"__name__": "container_cpu_usage_seconds_total", "cpu": "total", "id": "/"}
    # The kubelet ServiceMonitor honours labels: the printed empty namespace
    # wins over the Service's (kube-system), which only up{job="kubelet"} shows.
    assert one(KPS, "container_cpu_usage_seconds_total", node=node.name, id="/") == {
        **root,
        "instance": f"{node.ip}:10250",
        "job": "kubelet",
        "node": node.name,
        "service": "kubelet",
        "endpoint": "https-metrics",
        "metrics_path": "/metrics/cadvisor",
    }
    assert one(KPS, "up", node=node.name)["namespace"] == "kube-system"
    assert one(ANN, "container_cpu_usage_seconds_total", instance=node.name, id="/") == {
        **root,
        "instance": node.name,
        "job": "kubernetes-nodes-cadvisor",
    }


# -- kube-state-metrics ----------------------------------------------------------------------------


def test_kube_state_metrics_node_and_pod_info() -> None:
    ups = find(KPS, "up", job="kube-state-metrics")
    assert len(ups) == 3 and {s["instance"] for s in ups} == {f"{KSM_IP}:8080"}
    assert len({s["pod"] for s in ups}) == 3  # one made-up KSM pod per cluster
    seoul_ksm = one(KPS, "kube_node_info", node="seoul-a-gpu-00")["pod"]
    assert seoul_ksm in {s["pod"] for s in ups}
    assert re.fullmatch(r"kube-state-metrics-[0-9a-f]{10}-[a-z0-9]{5}", seoul_ksm)
    operator_ksm = {
        "instance": f"{KSM_IP}:8080",
        "job": "kube-state-metrics",
        "container": "kube-state-metrics",
        "service": "kube-state-metrics",
        "endpoint": "http",
    }
    node_info = exposed("kube_node_info", node="seoul-a-gpu-00")
    assert "namespace" not in node_info and "pod" not in node_info
    # Honoured, but kube_node_info prints no namespace/pod: KSM's own pod fills them in.
    assert one(KPS, "kube_node_info", node="seoul-a-gpu-00") == {
        **node_info,
        **operator_ksm,
        "namespace": "monitoring",
        "pod": seoul_ksm,
    }
    assert one(ANN, "kube_node_info", node="seoul-a-gpu-00") == {
        **node_info,
        "instance": f"{KSM_IP}:8080",
        "job": "kubernetes-service-endpoints",
        "namespace": "monitoring",
        "pod": seoul_ksm,
    }
    triton = fleet(NODES).cluster("seoul-a").node("seoul-a-gpu-00").gpus[0].mig[0].pod
    pod_info = exposed("kube_pod_info", pod=triton.name)
    assert pod_info["namespace"] == triton.namespace and pod_info["node"] == "seoul-a-gpu-00"
    # The printed namespace/pod win; container comes from the target (KSM's own container).
    assert one(KPS, "kube_pod_info", pod=triton.name) == {**pod_info, **operator_ksm}
    assert one(ANN, "kube_pod_info", pod=triton.name) == {
        **pod_info,
        "instance": f"{KSM_IP}:8080",
        "job": "kubernetes-service-endpoints",
    }


# -- whole-fleet relations ---------------------------------------------------------------------------


def _key(labels: Labels) -> frozenset:
    return frozenset(labels.items())


def test_thanos_replicas_store_every_kube_prometheus_stack_series_twice() -> None:
    operator = [_key(s) for s in stored(KPS)]
    replicas = [_key(s) for s in stored(THANOS)]
    assert len(replicas) == 2 * len(operator) == 2 * len(set(operator))
    assert set(replicas) == {k | {(REPLICA_LABEL, r)} for k in operator for r in THANOS_REPLICAS}
    power = find(
        THANOS, "DCGM_FI_DEV_POWER_USAGE", UUID=fleet(NODES).cluster("seoul-a").node("seoul-a-gpu-00").gpus[1].uuid
    )
    assert sorted(s[REPLICA_LABEL] for s in power) == list(THANOS_REPLICAS)


def test_standalone_dcgm_differs_from_kube_prometheus_stack_only_in_the_dcgm_host() -> None:
    def unhosted(labels: Labels) -> frozenset:
        dcgm = labels["__name__"].startswith("DCGM_")
        return _key({k: v for k, v in labels.items() if not (dcgm and k.lower() == "hostname")})

    assert [unhosted(s) for s in stored(STANDALONE)] == [unhosted(s) for s in stored(KPS)]
    assert stored(STANDALONE) != stored(KPS)


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_global_querier_copy_adds_only_the_cluster_label(profile: str) -> None:
    plain, labelled = stored(profile), stored(profile, cluster_label=True)
    clusters = {s["cluster"] for s in labelled}
    assert clusters == {c.name for c in fleet(profile).clusters}
    assert [{k: v for k, v in s.items() if k != "cluster"} for s in labelled] == list(plain)


# -- the live scrape config ------------------------------------------------------------------------------


def test_scrape_config_carries_the_profile_target_labels() -> None:
    f = build_fleet(seed=7, size="test", epoch=EPOCH, profiles={"seoul-a": KPS, "busan-b": THANOS, "daejeon-c": ANN})
    configs = {c["job_name"]: c for c in prometheus_config(f, ["seoul-a"], server_address="h:1")["scrape_configs"]}
    dcgm = configs["dcgm-exporter"]
    assert dcgm["honor_labels"] is False and configs["kubelet"]["honor_labels"] is True
    pod = system_pod(NODES, "seoul-a", "seoul-a-gpu-00", "dcgm-exporter")
    labels = next(sc["labels"] for sc in dcgm["static_configs"] if sc["labels"][TMP_INSTANCE] == f"{pod.ip}:9400")
    assert labels == {
        TMP_INSTANCE: f"{pod.ip}:9400",
        "__tmp_metrics_path": "/metrics/seoul-a/dcgm/seoul-a-gpu-00",
        "namespace": "monitoring",
        "pod": pod.name,
        "container": "dcgm-exporter",
        "service": "dcgm-exporter",
        "endpoint": "metrics",
    }
    # Two HA replicas: two configs per job that differ only by prometheus_replica.
    thanos = prometheus_config(f, ["busan-b"], server_address="h:1")["scrape_configs"]
    by_job: dict[str, list[dict]] = {}
    for config in thanos:
        by_job.setdefault(config["relabel_configs"][2]["replacement"], []).append(config)
    assert all(len(pair) == 2 for pair in by_job.values())
    first, second = by_job["dcgm-exporter"]
    strip = [{k: v for k, v in sc["labels"].items() if k != REPLICA_LABEL} for sc in first["static_configs"]]
    assert strip == [{k: v for k, v in sc["labels"].items() if k != REPLICA_LABEL} for sc in second["static_configs"]]
    assert {sc["labels"][REPLICA_LABEL] for sc in first["static_configs"] + second["static_configs"]} == set(
        THANOS_REPLICAS
    )
    annotated = {
        c["relabel_configs"][2]["replacement"]
        for c in prometheus_config(f, ["daejeon-c"], server_address="h:1")["scrape_configs"]
    }
    assert annotated == {"kubernetes-pods", "kubernetes-nodes-cadvisor", "kubernetes-service-endpoints"}


@pytest.mark.prometheus
def test_every_profile_config_passes_promtool(tmp_path) -> None:
    from demo.harness import PROMTOOL_BINARY
    from demo.promconfig import write_config
    from tests.prometheus_fixtures import require_prometheus

    require_prometheus()
    f = build_fleet(seed=7, size="small", epoch=EPOCH, profiles={"seoul-a": THANOS, "busan-b": ANN, "daejeon-c": KPS})
    names = [c.name for c in f.clusters]
    for clusters, label in (([names[0]], False), ([names[1]], False), ([names[2]], False), (names[:2], True)):
        path = write_config(
            tmp_path / "prometheus.yml",
            prometheus_config(f, clusters, server_address="127.0.0.1:9", add_cluster_label=label),
        )
        check = subprocess.run([PROMTOOL_BINARY, "check", "config", str(path)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr


def test_profile_lookup() -> None:
    assert get_profile(STANDALONE).hostname("n1") == "nvidia-dcgm"
    assert get_profile(KPS).hostname("n1") == "n1"
    assert get_profile(THANOS).replicas == THANOS_REPLICAS


@pytest.mark.prometheus
def test_block_cache_tells_profiles_apart(tmp_path) -> None:
    from demo.backfill import Destination
    from demo.blockcache import cached_backfill
    from tests.prometheus_fixtures import require_prometheus

    require_prometheus()

    def run(profiles: str | dict[str, str], name: str) -> bool:
        data = tmp_path / name
        data.mkdir()
        f = build_fleet(seed=7, size="test", epoch=EPOCH, profiles=profiles)
        stats = cached_backfill(f, [Destination(data, ("seoul-a",))], T, T + 60, tmp_path / "cache", workers=1)
        return stats.cached

    assert not run(NODES, "a")
    assert not run(KPS, "b")
    assert run(dict.fromkeys(["seoul-a", "busan-b", "daejeon-c"], KPS), "c")  # the same profiles, however asked for
    assert not run(STANDALONE, "d")
