"""Per-metric label sets (and, where the exporter fixes it, label order) match the real exporters.

Real samples live in ``tests/fixtures/exporters/`` (their origins are in the
README there; what they mean is in ``docs/EXPORTERS.md``).  Where a sample file
exists we parse it at test time; where an exporter publishes none (Kepler,
kube-state-metrics), the label set read from its source is encoded below.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest

from demo.expo import parse_samples
from demo.fleet import build_fleet

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "exporters"
EPOCH = 1_764_115_200.0
T = EPOCH + 2 * 3600 + 17


@pytest.fixture(scope="module")
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture(scope="module")
def emitted():
    """exporter -> metric -> set of label-name tuples (in emitted order), over the whole test fleet."""
    fleet = build_fleet(seed=7, size="test", epoch=EPOCH)
    out: dict[str, dict[str, set[tuple[str, ...]]]] = defaultdict(lambda: defaultdict(set))
    for tg in fleet.targets():
        for s in parse_samples(fleet.render(tg, T)):
            out[tg.exporter][s.name].add(tuple(k for k, _ in s.labels))
    return out


def _fixture_sets(path: Path) -> dict[str, set[tuple[str, ...]]]:
    """Label-name tuples per metric in a fixture file; lines a strict parser rejects are skipped."""
    sets: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        try:
            (s,) = parse_samples(line)
        except (ValueError, IndexError):
            continue  # e.g. the documented upstream typo in the openstack README example
        sets[s.name].add(tuple(k for k, _ in s.labels))
    return sets


def _help_type(path: Path) -> dict[str, tuple[str | None, str | None]]:
    out: dict[str, list[str | None]] = defaultdict(lambda: [None, None])
    for line in path.read_text().splitlines():
        if line.startswith("# HELP "):
            _, _, name, *rest = line.split(" ", 3)
            out[name][0] = rest[0] if rest else ""
        elif line.startswith("# TYPE "):
            _, _, name, mtype = line.split(" ", 3)
            out[name][1] = mtype
    return {k: (v[0], v[1]) for k, v in out.items()}


def _is_subsequence(small: tuple[str, ...], big: tuple[str, ...]) -> bool:
    it = iter(big)
    return all(x in it for x in small)


# -- dcgm-exporter --------------------------------------------------------------
# Order from docs/EXPORTERS.md ("Labels on a GPU series (in emitted order)"); Hostname is
# spelled `hostname` by newer builds; err_code/err_msg sort inside the attributes.
DCGM_ORDER = (
    "gpu",
    "UUID",
    "pci_bus_id",
    "device",
    "modelName",
    "GPU_I_PROFILE",
    "GPU_I_ID",
    "Hostname",
    "hostname",
    "DCGM_FI_DRIVER_VERSION",
    "container",
    "err_code",
    "err_msg",
    "namespace",
    "pod",
)


def test_dcgm_label_order_and_fixture_agreement(fixtures, emitted):
    ours = emitted["dcgm"]
    assert ours
    fx = _fixture_sets(fixtures / "dcgm-exporter" / "datadog-integrations-core-dcgm-metrics.txt")
    for metric, sets in ours.items():
        for labels in sets:
            assert _is_subsequence(labels, DCGM_ORDER), (metric, labels)
            assert labels[:5] == ("gpu", "UUID", "pci_bus_id", "device", "modelName")
            assert ("Hostname" in labels) != ("hostname" in labels)
            assert {"container", "namespace", "pod"} & set(labels) in (set(), {"container", "namespace", "pod"})
        # The Datadog capture is older (no pci_bus_id, extra DCGM_FI_* labels): the labels we
        # share with it must come in the same relative order.
        for fl in fx.get(metric, ()):
            if not fl:
                continue  # "dummy values" block without labels (not real exporter output)
            for labels in sets:
                common_ours = tuple(k for k in labels if k in fl)
                common_fx = tuple(k for k in fl if k in labels)
                assert common_ours == common_fx, (metric, labels, fl)


def test_dcgm_help_and_type_match_default_counters_csv(fixtures):
    rows = {}
    with (fixtures / "dcgm-exporter" / "default-counters.csv").open() as fh:
        for row in csv.reader(fh):
            if row and not row[0].startswith("#") and len(row) >= 3:
                rows[row[0].strip()] = (row[1].strip(), ",".join(row[2:]).strip())
    fleet = build_fleet(seed=7, size="test", epoch=EPOCH)
    tg = next(x for x in fleet.targets() if x.exporter == "dcgm")
    text = fleet.render(tg, T)
    emitted = 0
    for name, (help_text, mtype) in _help_type_text(text).items():
        want_type, want_help = rows[name]
        assert mtype == want_type, name
        assert help_text == want_help, name
        emitted += 1
    assert emitted >= 20


def _help_type_text(text: str) -> dict[str, tuple[str, str]]:
    helps, types = {}, {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            _, _, name, h = line.split(" ", 3)
            helps[name] = h
        elif line.startswith("# TYPE "):
            _, _, name, mtype = line.split(" ", 3)
            types[name] = mtype
    return {k: (helps[k], types[k]) for k in types}


# -- furiosa ------------------------------------------------------------------------
def test_furiosa_label_sets_match_readme_examples(fixtures, emitted):
    fx: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for f in ("readme-example-rngd.prom", "readme-example-partitioned.prom"):
        for k, v in _fixture_sets(fixtures / "furiosa-metrics-exporter" / f).items():
            fx[k] |= v
    pod_labels = {"container", "namespace", "pod"}
    # docs/EXPORTERS.md: empty labels are dropped, so an unallocated device lacks the pod labels.
    fx_norm = {m: {frozenset(s) - pod_labels for s in sets} for m, sets in fx.items()}
    ours = emitted["furiosa"]
    assert set(ours) == set(fx)
    for metric, sets in ours.items():
        for labels in sets:
            assert list(labels) == sorted(labels), (metric, labels)  # client_golang
            assert frozenset(labels) - pod_labels in fx_norm[metric], (metric, labels)
            assert pod_labels & set(labels) in (set(), pod_labels)


# -- rebellions -----------------------------------------------------------------------
# docs/EXPORTERS.md: six gauges per naming scheme; `smc_version` in the README examples is stale (removed in e30c169).
RBLN_LEGACY = {
    "RBLN_DEVICE_STATUS:" + n for n in ("TEMPERATURE", "CARD_POWER", "DRAM_USED", "DRAM_TOTAL", "UTILIZATION", "HEALTH")
}
RBLN_NEW = {"rbln_npu_" + n for n in ("temperature", "power", "memory_used", "memory_total", "utilization", "health")}


def test_rebellions_names_and_labels(fixtures, emitted):
    fx: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for f in ("readme-example-legacy-names.prom", "readme-example-prometheus-names.prom"):
        for k, v in _fixture_sets(fixtures / "rbln-metrics-exporter" / f).items():
            fx[k] |= {tuple(x for x in s if x != "smc_version") for s in v}
    ours = emitted["rebellions"]
    assert set(ours) == RBLN_LEGACY | RBLN_NEW
    expected = next(iter(fx["rbln_npu_temperature"]))
    for metric, sets in ours.items():
        assert sets == {expected}, metric
        if metric in fx:
            assert fx[metric] == {expected}


# -- ipmi -------------------------------------------------------------------------------
def test_ipmi_label_sets_match_docs_examples(fixtures, emitted):
    fx = _fixture_sets(fixtures / "ipmi_exporter" / "docs-metrics-examples.prom")
    # docs/EXPORTERS.md: the doc example lacks bmc_url, which the code always emits.
    fx["ipmi_bmc_info"] = {("bmc_url", *k) for k in fx["ipmi_bmc_info"]}
    # docs/EXPORTERS.md table for families the doc example does not show.
    documented = {
        "ipmi_up": {("collector",)},
        "ipmi_dcmi_power_consumption_watts": {()},
        "ipmi_chassis_power_state": {()},
        "ipmi_scrape_duration_seconds": {()},
        "ipmi_temperature_celsius": {("id", "name")},
    }
    ours = emitted["ipmi"]
    for metric, sets in ours.items():
        want = fx.get(metric) or documented.get(metric)
        assert want is not None, f"{metric} is neither in the docs example nor in docs/EXPORTERS.md"
        assert sets == want, metric


# -- cadvisor ----------------------------------------------------------------------------
# docs/EXPORTERS.md: kubelet /metrics/cadvisor replaces labels with container,id,image,name,namespace,pod.
CADVISOR = {
    "container_cpu_usage_seconds_total": ("container", "cpu", "id", "image", "name", "namespace", "pod"),
    "container_memory_working_set_bytes": ("container", "id", "image", "name", "namespace", "pod"),
    "container_network_receive_bytes_total": ("container", "id", "image", "interface", "name", "namespace", "pod"),
    "container_network_transmit_bytes_total": ("container", "id", "image", "interface", "name", "namespace", "pod"),
}


def test_cadvisor_kubelet_labels_and_help(fixtures, emitted):
    ours = emitted["cadvisor"]
    assert dict(ours.items()) == {m: {labels} for m, labels in CADVISOR.items()}
    fx_help = _help_type(fixtures / "cadvisor" / "cadvisor-testdata-prometheus_metrics.txt")
    fleet = build_fleet(seed=7, size="test", epoch=EPOCH)
    tg = next(x for x in fleet.targets() if x.exporter == "cadvisor")
    for name, (help_text, mtype) in _help_type_text(fleet.render(tg, T)).items():
        assert fx_help[name] == (help_text, mtype), name


# -- libvirt / openstack -------------------------------------------------------------------
def test_libvirt_label_sets_match_readme_example(fixtures, emitted):
    fx = _fixture_sets(fixtures / "libvirt-openstack" / "inovex-libvirt-exporter-readme-example.prom")
    ours = emitted["libvirt"]
    assert ours
    for metric, sets in ours.items():
        assert sets == fx[metric], metric


# docs/EXPORTERS.md (exporters/nova.go label sets; client_golang sorts them on output).
NOVA = {
    "openstack_nova_server_status": {
        "id",
        "status",
        "name",
        "tenant_id",
        "user_id",
        "address_ipv4",
        "address_ipv6",
        "host_id",
        "hypervisor_hostname",
        "uuid",
        "availability_zone",
        "flavor_id",
        "instance_libvirt",
    },
    "openstack_nova_running_vms": {"hostname", "availability_zone", "aggregates", "tenant_id"},
    "openstack_nova_vcpus_available": {"hostname", "availability_zone", "aggregates"},
    "openstack_nova_vcpus_used": {"hostname", "availability_zone", "aggregates"},
    "openstack_nova_memory_available_bytes": {"hostname", "availability_zone", "aggregates"},
    "openstack_nova_memory_used_bytes": {"hostname", "availability_zone", "aggregates"},
    "openstack_nova_total_vms": set(),
    "openstack_nova_up": set(),
}


def test_openstack_nova_label_sets_and_help_style(fixtures, emitted):
    ours = emitted["openstack"]
    assert set(ours) == set(NOVA)
    for metric, sets in ours.items():
        assert {frozenset(s) for s in sets} == {frozenset(NOVA[metric])}, metric
        assert all(list(s) == sorted(s) for s in sets)
    fx_help = _help_type(fixtures / "libvirt-openstack" / "openstack-exporter-readme-example.prom")
    for metric in NOVA:
        if metric in fx_help and fx_help[metric][0] is not None:
            assert fx_help[metric][0] == metric.removeprefix("openstack_nova_")


# -- node_exporter ---------------------------------------------------------------------------
def test_node_exporter_rapl_labels(fixtures, emitted):
    fx = _fixture_sets(fixtures / "node_exporter" / "e2e-output-rapl-hwmon-excerpt.txt")
    ours = emitted["node_exporter"]
    assert ours
    for metric, sets in ours.items():
        assert sets == fx.get(metric, {("index", "path")}), metric


# -- kepler (no sample upstream; docs/EXPORTERS.md) ------------------------------------------------------------------
# docs/EXPORTERS.md section A (0.7.x): container series = container_id, pod_name, container_name,
# container_namespace, mode (+ const source); node series = package, instance, mode (+ source).
K07_CONTAINER = {"container_id", "container_name", "container_namespace", "mode", "pod_name", "source"}
K07_NODE = {"instance", "mode", "package", "source"}
# docs/EXPORTERS.md section B (0.10+): const node_name on every power/energy metric.
K010 = {
    "kepler_node_cpu": {"node_name", "path", "zone"},
    "kepler_pod_cpu": {"node_name", "pod_id", "pod_name", "pod_namespace", "state", "zone"},
    "kepler_container_cpu": {"node_name", "container_id", "container_name", "runtime", "state", "zone", "pod_id"},
}


def test_kepler_label_sets_per_metrics_md(emitted):
    ours = emitted["kepler"]
    seen07 = seen010 = False
    for metric, sets in ours.items():
        for labels in sets:
            assert list(labels) == sorted(labels), (metric, labels)
            names = set(labels)
            if metric.startswith("kepler_container_") and metric.endswith("_joules_total") and "mode" in names:
                assert names == K07_CONTAINER, metric
                seen07 = True
            elif metric.startswith("kepler_node_") and "instance" in names:
                assert names == K07_NODE, metric
            elif metric == "kepler_node_cpu_usage_ratio":
                assert names == {"node_name"}
            elif metric in ("kepler_exporter_build_info", "kepler_build_info", "kepler_node_info"):
                continue
            else:
                prefix = next(p for p in K010 if metric.startswith(p))
                assert names == K010[prefix], metric
                seen010 = True
    assert seen07 and seen010


# -- kube-state-metrics (no sample upstream; order matters) ------------------------------------------
# docs/EXPORTERS.md table "labels in emitted order".
KSM = {
    "kube_node_info": (
        "node",
        "kernel_version",
        "os_image",
        "container_runtime_version",
        "kubelet_version",
        "kubeproxy_version",
        "provider_id",
        "pod_cidr",
        "system_uuid",
        "internal_ip",
    ),
    "kube_node_status_capacity": ("node", "resource", "unit"),
    "kube_node_status_allocatable": ("node", "resource", "unit"),
    "kube_node_status_condition": ("node", "condition", "status"),
    "kube_node_spec_unschedulable": ("node",),
    "kube_pod_info": (
        "namespace",
        "pod",
        "uid",
        "host_ip",
        "pod_ip",
        "node",
        "created_by_kind",
        "created_by_name",
        "priority_class",
        "host_network",
    ),
    "kube_pod_status_phase": ("namespace", "pod", "uid", "phase"),
    "kube_pod_container_info": (
        "namespace",
        "pod",
        "uid",
        "container",
        "image_spec",
        "image",
        "image_id",
        "container_id",
    ),
    "kube_pod_container_resource_requests": ("namespace", "pod", "uid", "container", "node", "resource", "unit"),
    "kube_pod_container_resource_limits": ("namespace", "pod", "uid", "container", "node", "resource", "unit"),
    "kube_pod_container_status_running": ("namespace", "pod", "uid", "container"),
    "kube_pod_owner": ("namespace", "pod", "uid", "owner_kind", "owner_name", "owner_is_controller"),
    "kube_pod_start_time": ("namespace", "pod", "uid"),
    "kube_pod_created": ("namespace", "pod", "uid"),
}


def test_ksm_label_order_per_metrics_md(emitted):
    ours = emitted["ksm"]
    assert set(ours) == set(KSM)
    for metric, sets in ours.items():
        assert sets == {KSM[metric]}, metric
