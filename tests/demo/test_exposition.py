"""The simulated exporters' text: parseable, deterministic, and carrying every required quirk."""

from __future__ import annotations

import math
import time
from collections import defaultdict

import pytest
from prometheus_client.parser import text_string_to_metric_families

from demo.catalog import DCGM_INT64_NOT_SUPPORTED, DOCKER_PAUSE_IMAGE, PAUSE_IMAGE
from demo.expo import esc, go_float, labels_sorted, parse_samples
from demo.fleet import SIZES, build_fleet

EPOCH = 1_764_115_200.0  # 2025-11-26 00:00 UTC, an hour boundary
HOURS = 3600.0


@pytest.fixture(scope="module")
def fleet():
    return build_fleet(seed=7, size="test", epoch=EPOCH)


def _by_exporter(fleet, exporter: str, cluster: str | None = None):
    return [tg for tg in fleet.targets(cluster) if tg.exporter == exporter]


def _samples(fleet, tg, t: float):
    text = fleet.render(tg, t)
    assert text is not None, tg.path
    return parse_samples(text)


# -- format ----------------------------------------------------------------
@pytest.mark.parametrize("t_offset", [60.0, 12 * HOURS + 7, 23 * HOURS + 1234])
def test_every_target_parses_with_prometheus_client(fleet, t_offset):
    t = EPOCH + t_offset
    for tg in fleet.targets():
        text = fleet.render(tg, t)
        assert text, tg.path
        families = list(text_string_to_metric_families(text))
        assert families, tg.path
        assert all(f.samples for f in families if f.type != "unknown"), tg.path


def test_every_family_has_help_and_type_before_its_samples(fleet):
    t = EPOCH + 5 * HOURS
    for tg in fleet.targets():
        seen_type: set[str] = set()
        for line in fleet.render(tg, t).splitlines():
            if line.startswith("# TYPE "):
                seen_type.add(line.split()[2])
            elif line and not line.startswith("#"):
                name = line.split("{", 1)[0].split(" ", 1)[0]
                assert name in seen_type, (tg.path, name)


def test_go_float_matches_go_strconv_g():
    cases = {
        1.0: "1",
        0.0: "0",
        100000.0: "100000",
        1e6: "1e+06",
        1234567.0: "1.234567e+06",
        17242541456.0: "1.7242541456e+10",  # furiosa fixture
        99.68363645361265: "99.68363645361265",
        1e-05: "1e-05",
        0.0001: "0.0001",
        -2.5e7: "-2.5e+07",
        math.nan: "NaN",
        math.inf: "+Inf",
    }
    for v, want in cases.items():
        assert go_float(v) == want, v


def test_label_escaping_and_sorting():
    assert esc('a"b\\c\nd') == 'a\\"b\\\\c\\nd'
    assert labels_sorted([("z", "1"), ("a", 'x"y')]) == '{a="x\\"y",z="1"}'
    parsed = parse_samples('m{a="x\\"y\\\\z\\n"} 1')
    assert parsed[0].label_dict == {"a": 'x"y\\z\n'}


def test_same_seed_same_text_and_other_seed_differs(fleet):
    again = build_fleet(seed=7, size="test", epoch=EPOCH)
    other = build_fleet(seed=8, size="test", epoch=EPOCH)
    t = EPOCH + 3 * HOURS + 11
    assert [tg.path for tg in again.targets()] == [tg.path for tg in fleet.targets()]
    for tg in fleet.targets():
        assert fleet.render(tg, t) == again.render(tg, t), tg.path
    dcgm = _by_exporter(fleet, "dcgm")[0]
    assert other.render(dcgm, t) != fleet.render(dcgm, t)


def test_targets_cover_every_exporter(fleet):
    exporters = {tg.exporter for tg in fleet.targets()}
    assert exporters == {
        "dcgm",
        "kepler",
        "ipmi",
        "furiosa",
        "rebellions",
        "ksm",
        "cadvisor",
        "node_exporter",
        "libvirt",
        "openstack",
    }
    for tg in fleet.targets():
        assert tg.path == f"/metrics/{tg.cluster}/{tg.exporter}/{tg.node or 'cluster'}"
        assert fleet.honor_labels(tg) is False
    assert len(_by_exporter(fleet, "ksm")) == SIZES["test"].clusters


# -- counters -----------------------------------------------------------------
def test_counters_are_monotonic_except_the_documented_reset(fleet):
    """Every counter series only grows over 24 h, except the reset GPU's energy at ``reset_at``."""
    counters_by_target = {}
    for tg in fleet.targets():
        text = fleet.render(tg, EPOCH + 60)
        counters_by_target[tg.path] = {
            line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ") and line.endswith(" counter")
        }
    last: dict[tuple, float] = {}
    drops = []
    step = 1800.0
    for k in range(int(24 * HOURS / step) - 1):
        t = EPOCH + 60 + k * step
        for tg in fleet.targets():
            text = fleet.render(tg, t)
            if text is None:
                continue
            names = counters_by_target[tg.path]
            for s in parse_samples(text):
                if s.name not in names:
                    continue
                key = (tg.path, s.name, s.labels)
                if key in last and s.value < last[key]:
                    drops.append((tg.path, s.name, s.label_dict.get("UUID"), t))
                last[key] = s.value
    assert fleet.reset_at is not None
    assert drops, "the reset GPU's counter should drop once"
    for path, name, uuid, t in drops:
        assert name == "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", (path, name)
        assert uuid == fleet.reset_gpu
        assert t - step < fleet.reset_at <= t


def test_reset_counter_restarts_near_zero(fleet):
    g = fleet.gpus[fleet.reset_gpu]
    before = g.energy_mj(fleet.reset_at - 1)
    after = g.energy_mj(fleet.reset_at + 30)
    assert before > 1e9  # days of energy in mJ
    assert 0 <= after < 30 * g.model.tdp_watts * 1000
    assert EPOCH < fleet.reset_at < EPOCH + 24 * HOURS


# -- required quirks ----------------------------------------------------------
def test_mig_node_repeats_device_series_per_gpu_instance(fleet):
    mig = [g for g in fleet.gpus.values() if g.mig]
    assert len(mig) == 1
    g = mig[0]
    tg = next(x for x in _by_exporter(fleet, "dcgm") if x.node == g.node)
    rows = [s for s in _samples(fleet, tg, EPOCH + HOURS) if s.name == "DCGM_FI_DEV_POWER_USAGE"]
    rows = [s for s in rows if s.label_dict["UUID"] == g.uuid]
    assert len(rows) == len(g.mig) >= 2
    assert len({s.value for s in rows}) == 1  # same device value on each copy
    assert {s.label_dict["GPU_I_ID"] for s in rows} == {str(i.gi_id) for i in g.mig}
    pods = {s.label_dict.get("pod") for s in rows} - {None}
    assert len(pods) >= 2  # instances allocated to different pods
    assert not any(
        "GPU_UTIL" in s.name for s in _samples(fleet, tg, EPOCH + HOURS) if s.label_dict.get("UUID") == g.uuid
    )


def test_dcgm_blank_sentinel_on_unsupported_field(fleet):
    found = False
    for tg in _by_exporter(fleet, "dcgm"):
        for s in _samples(fleet, tg, EPOCH + HOURS):
            if s.name == "DCGM_FI_DEV_MEMORY_TEMP" and s.value == float(DCGM_INT64_NOT_SUPPORTED):
                assert "L40S" in s.label_dict["modelName"]
                found = True
    assert found


def test_dcgm_models_pods_hostname_spellings_and_units(fleet):
    models, host_keys, allocated, idle = set(), set(), 0, 0
    for tg in _by_exporter(fleet, "dcgm"):
        for s in _samples(fleet, tg, EPOCH + HOURS):
            if s.name != "DCGM_FI_DEV_POWER_USAGE":
                continue
            d = s.label_dict
            models.add(d["modelName"])
            host_keys |= {"Hostname", "hostname"} & set(d)
            if "pod" in d:
                allocated += 1
            else:
                idle += 1
    assert len(models) >= 3 and all(" " in m or "-" in m for m in models)
    assert host_keys == {"Hostname", "hostname"}
    assert allocated and idle
    text = fleet.render(_by_exporter(fleet, "dcgm")[0], EPOCH)
    assert "(in mJ)" in text
    power = [line for line in text.splitlines() if line.startswith("DCGM_FI_DEV_POWER_USAGE")]
    assert all(len(line.rsplit(" ", 1)[1].split(".")[1]) == 6 for line in power)  # %f


def test_ipmi_nan_sensor_critical_fan_and_dcmi_on_some_nodes(fleet):
    nan_temp = crit = dcmi = no_dcmi = 0
    slash = False
    for tg in _by_exporter(fleet, "ipmi"):
        ss = _samples(fleet, tg, EPOCH + HOURS)
        nan_temp += sum(1 for s in ss if s.name == "ipmi_temperature_celsius" and math.isnan(s.value))
        crit += sum(1 for s in ss if s.name == "ipmi_fan_speed_state" and s.value == 2)
        slash |= any("/" in s.label_dict.get("name", "") and " " in s.label_dict["name"] for s in ss)
        if any(s.name == "ipmi_dcmi_power_consumption_watts" for s in ss):
            dcmi += 1
        else:
            no_dcmi += 1
        assert any(s.name == "ipmi_sensor_value" and math.isnan(s.value) for s in ss)
    assert nan_temp == 1 and crit == 1 and slash
    assert dcmi and no_dcmi


def test_stopped_node_renders_none_after_its_stop_time(fleet):
    cluster, node = fleet.stopped
    stop = fleet.stopped_at
    assert stop == EPOCH + 24 * HOURS - 20 * 60
    mine = [tg for tg in fleet.targets(cluster) if tg.node == node]
    assert len(mine) >= 4
    for tg in mine:
        assert fleet.render(tg, stop - 1) is not None
        assert fleet.render(tg, stop) is None
        assert fleet.render(tg, stop + 3600) is None
    others = [tg for tg in fleet.targets() if tg.node != node]
    assert all(fleet.render(tg, stop + 60) is not None for tg in others)
    ksm = _by_exporter(fleet, "ksm", cluster)[0]
    ready = {
        s.label_dict["status"]
        for s in _samples(fleet, ksm, stop + 120)
        if s.name == "kube_node_status_condition"
        and s.label_dict["node"] == node
        and s.label_dict["condition"] == "Ready"
        and s.value == 1
    }
    assert ready == {"unknown"}


def test_stop_node_at_moves_the_stop(fleet):
    f = build_fleet(seed=7, size="test", epoch=EPOCH, stop_at=EPOCH + HOURS)
    cluster, node = f.stopped
    tg = next(x for x in f.targets(cluster) if x.node == node)
    assert f.render(tg, EPOCH + HOURS + 1) is None
    f.stop_node_at(cluster, node, None)
    assert f.render(tg, EPOCH + HOURS + 1) is not None


def test_kubernetes_phases_capacity_and_kepler_generations(fleet):
    phases = set()
    resources = set()
    for tg in _by_exporter(fleet, "ksm"):
        per_pod = defaultdict(list)
        for s in _samples(fleet, tg, EPOCH + HOURS):
            d = s.label_dict
            if s.name == "kube_pod_status_phase":
                per_pod[(d["namespace"], d["pod"])].append(s.value)
                if s.value == 1:
                    phases.add(d["phase"])
            if s.name in ("kube_node_status_capacity", "kube_node_status_allocatable"):
                resources.add(d["resource"])
        assert all(len(v) == 5 and sum(v) == 1 for v in per_pod.values())
    assert {"Running", "Pending", "Succeeded", "Failed"} <= phases
    assert {"nvidia_com_gpu", "furiosa_ai_rngd", "rebellions_ai_ATOM", "cpu", "memory"} <= resources
    assert any(r.startswith("nvidia_com_mig_") for r in resources)
    assert {c.kepler_generation for c in fleet.clusters} == {"0.7", "0.10"}
    k07 = next(c.name for c in fleet.clusters if c.kepler_generation == "0.7")
    names = {s.name for s in _samples(fleet, _by_exporter(fleet, "kepler", k07)[0], EPOCH + HOURS)}
    assert "kepler_container_package_joules_total" in names and "kepler_node_package_joules_total" in names


def test_npu_exporters_partition_and_both_rbln_namings(fleet):
    cores_by_card = defaultdict(set)
    for tg in _by_exporter(fleet, "furiosa"):
        for s in _samples(fleet, tg, EPOCH + HOURS):
            if s.name == "furiosa_npu_hw_power":
                cores_by_card[s.label_dict["uuid"]].add(s.label_dict["core"])
    assert {"0-7", "0-3", "4-7"} in cores_by_card.values()
    assert all("0-7" in v for v in cores_by_card.values())
    legacy = new = 0
    for tg in _by_exporter(fleet, "rebellions"):
        names = {s.name for s in _samples(fleet, tg, EPOCH + HOURS)}
        legacy += "RBLN_DEVICE_STATUS:CARD_POWER" in names
        new += "rbln_npu_power" in names
    assert legacy and new


def test_cadvisor_pod_cgroup_and_pause_rows(fleet):
    runtimes = set()
    for c in fleet.clusters:
        tg = _by_exporter(fleet, "cadvisor", c.name)[0]
        ss = [s for s in _samples(fleet, tg, EPOCH + HOURS) if s.name == "container_cpu_usage_seconds_total"]
        rows = [s.label_dict for s in ss if s.label_dict["pod"]]
        # pod cgroup row: container="" with no image and no name
        assert any(d["container"] == "" and d["image"] == "" and d["name"] == "" for d in rows)
        if c.container_runtime == "docker":
            # dockershim-era kubelet: the sandbox is container="POD"
            assert any(d["container"] == "POD" and d["image"] == DOCKER_PAUSE_IMAGE for d in rows)
        else:
            assert any(d["container"] == "" and d["image"] == PAUSE_IMAGE and d["name"] for d in rows)
            assert not any(d["container"] == "POD" for d in rows)
        runtimes.add(c.container_runtime)
        assert all(s.timestamp_ms == int((EPOCH + HOURS) * 1000) for s in ss)
        net = [s for s in _samples(fleet, tg, EPOCH + HOURS) if s.name == "container_network_receive_bytes_total"]
        assert net and all(s.label_dict["container"] in ("", "POD") for s in net)
    assert runtimes == {"docker", "containerd"}


def test_vms_on_one_cluster(fleet):
    libvirt = _by_exporter(fleet, "libvirt")
    openstack = _by_exporter(fleet, "openstack")
    assert libvirt and len(openstack) == 1
    assert {tg.cluster for tg in libvirt} == {openstack[0].cluster}
    domains = {s.label_dict["domain"] for tg in libvirt for s in _samples(fleet, tg, EPOCH) if "domain" in s.label_dict}
    nova = {
        s.label_dict["instance_libvirt"]
        for s in _samples(fleet, openstack[0], EPOCH)
        if s.name == "openstack_nova_server_status"
    }
    assert len(domains) >= 3 and domains == nova


def test_render_time_of_one_large_cluster():
    """Not a benchmark assertion: prints the time to render every target of one 100-node cluster."""
    t0 = time.perf_counter()
    large = build_fleet(seed=7, size="large", epoch=EPOCH)
    built = time.perf_counter() - t0
    targets = large.targets(large.clusters[3].name)
    times = []
    for k in range(2):
        t0 = time.perf_counter()
        size = sum(len(large.render(tg, EPOCH + HOURS + 30 * k) or "") for tg in targets)
        times.append(time.perf_counter() - t0)
    print(
        f"\nlarge fleet: build {built:.2f}s, {len(large.gpus)} GPUs + {len(large.npus)} NPUs; "
        f"one cluster ({len(targets)} targets, {size / 1e6:.1f} MB): first scrape {times[0]:.3f}s, "
        f"next {times[1]:.3f}s"
    )
    assert size > 0
