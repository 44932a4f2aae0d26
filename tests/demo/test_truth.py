"""Ground truth agrees with what the exporters show, and its breakdowns add up."""

from __future__ import annotations

import itertools
import json
import math
from collections import defaultdict

import pytest

from demo.catalog import MIG_SLICES
from demo.expo import parse_samples
from demo.fleet import build_fleet
from demo.truth import J_PER_KWH, Truth

EPOCH = 1_764_115_200.0
H = 3600.0
REL = 1e-4  # 0.01 %


@pytest.fixture(scope="module")
def fleet():
    return build_fleet(seed=7, size="test", epoch=EPOCH)


@pytest.fixture(scope="module")
def truth(fleet):
    return Truth(fleet)


def _samples(fleet, exporter: str, t: float, cluster: str | None = None):
    """(target, samples) for every target of one exporter at ``t``."""
    out = []
    for tg in fleet.targets(cluster):
        if tg.exporter == exporter:
            text = fleet.render(tg, t)
            if text is not None:
                out.append((tg, parse_samples(text)))
    return out


def _values(fleet, exporter: str, t: float, name: str, key) -> dict:
    """``key(sample) -> value`` summed over samples of ``name`` (key None = skip)."""
    out: dict = defaultdict(float)
    for _tg, ss in _samples(fleet, exporter, t):
        for s in ss:
            if s.name == name:
                k = key(s)
                if k is not None:
                    out[k] += s.value
    return out


def _close(a: float, b: float, rel: float = REL, abs_: float = 1e-6) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


# -- energy counters == exact integrals --------------------------------------------------
def test_dcgm_energy_counter_increase_equals_truth(fleet, truth):
    t0, t1 = EPOCH + 1 * H, EPOCH + 2 * H

    def by_uuid(s):
        return s.label_dict["UUID"] if s.label_dict.get("GPU_I_ID", "1") == "1" else None  # de-duplicate MIG

    a = _values(fleet, "dcgm", t0, "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", by_uuid)
    b = _values(fleet, "dcgm", t1, "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", by_uuid)
    assert set(a) == set(fleet.gpus)
    for uuid in a:
        got = (b[uuid] - a[uuid]) / 1000.0  # mJ -> J
        assert _close(got, truth.energy_joules("gpu", uuid, t0, t1)), uuid


def test_increase_across_the_driver_reload_equals_truth(fleet, truth):
    g = fleet.gpus[fleet.reset_gpu]
    tg = next(x for x in fleet.targets(g.cluster) if x.exporter == "dcgm" and x.node == g.node)
    t0 = fleet.reset_at - 1800
    values = []
    for k in range(121):  # every 30 s for one hour, like a scrape
        ss = parse_samples(fleet.render(tg, t0 + 30 * k))
        values.append(
            next(
                s.value
                for s in ss
                if s.name == "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION" and s.label_dict["UUID"] == g.uuid
            )
        )
    inc = 0.0
    for prev, cur in itertools.pairwise(values):
        inc += cur - prev if cur >= prev else cur  # Prometheus' reset handling
    assert any(cur < prev for prev, cur in itertools.pairwise(values))
    # The counter restarts from 0 at reset_at, so increase() is exact except for the energy
    # between the last scrape before the reload and the reload itself, which no scraper sees.
    last_before = max(t0 + 30 * k for k in range(121) if t0 + 30 * k < fleet.reset_at)
    unseen = truth.energy_joules("gpu", g.uuid, last_before, fleet.reset_at)
    assert unseen > 0
    assert _close(inc / 1000.0 + unseen, truth.energy_joules("gpu", g.uuid, t0, t0 + 3600))


def test_kepler_and_rapl_counters_equal_truth(fleet, truth):
    t0, t1 = EPOCH + 5 * H, EPOCH + 6 * H + 30
    checked = defaultdict(int)
    for c in fleet.clusters:
        gen = c.kepler_generation
        pods = defaultdict(float)
        nodes = defaultdict(float)
        rapl = defaultdict(float)
        for t_, sign in ((t0, -1.0), (t1, 1.0)):
            for tg, ss in _samples(fleet, "kepler", t_, c.name):
                for s in ss:
                    d = s.label_dict
                    if gen == "0.7" and s.name == "kepler_container_package_joules_total":
                        if d["container_namespace"] != "system":
                            pods[(d["container_namespace"], d["pod_name"])] += sign * s.value
                    elif gen == "0.7" and s.name == "kepler_node_package_joules_total":
                        nodes[tg.node] += sign * s.value
                    elif gen == "0.10" and s.name == "kepler_pod_cpu_joules_total" and d["zone"] == "package":
                        pods[(d["pod_namespace"], d["pod_name"])] += sign * s.value
                    elif gen == "0.10" and s.name == "kepler_node_cpu_joules_total" and d["zone"] == "package":
                        nodes[tg.node] += sign * s.value
            for tg, ss in _samples(fleet, "node_exporter", t_, c.name):
                rapl[tg.node] += sign * sum(s.value for s in ss if s.name == "node_rapl_package_joules_total")
        for (ns, pod), got in pods.items():
            assert _close(got, truth.energy_joules("pod_cpu", (c.name, ns, pod), t0, t1)), (c.name, ns, pod)
            checked["pod"] += 1
        for node, got in nodes.items():
            want = truth.energy_joules("node_cpu", (c.name, node), t0, t1)
            assert _close(got, want), node
            assert _close(rapl[node], want), node
            checked["node"] += 1
    assert checked["pod"] > 20 and checked["node"] == sum(len(c.nodes) for c in fleet.clusters)


# -- gauges == truth at t ----------------------------------------------------------------
@pytest.mark.parametrize("offset", [0.5 * H, 7 * H + 13, 19 * H + 401])
def test_gauges_equal_truth(fleet, truth, offset):
    t = EPOCH + offset
    for _tg, ss in _samples(fleet, "dcgm", t):
        for s in ss:
            d = s.label_dict
            tr = truth.gpu(d["UUID"], t)
            if s.name == "DCGM_FI_DEV_POWER_USAGE":
                assert s.value == tr["power_watts"]
            elif s.name == "DCGM_FI_DEV_GPU_TEMP":
                assert s.value == tr["temperature_celsius"]
            elif s.name == "DCGM_FI_DEV_SM_CLOCK":
                assert s.value == tr["sm_clock_mhz"]
            elif s.name == "DCGM_FI_DEV_GPU_UTIL":
                assert s.value == tr["utilization_percent"]
            elif s.name == "DCGM_FI_DEV_FB_USED" and not tr["mig_enabled"]:
                assert s.value == tr["memory_used_mb"]
    for _tg, ss in _samples(fleet, "furiosa", t):
        for s in ss:
            if s.name == "furiosa_npu_hw_power":
                assert s.value == truth.npu(s.label_dict["uuid"], t)["power_watts"]
    for _tg, ss in _samples(fleet, "rebellions", t):
        for s in ss:
            if s.name in ("rbln_npu_power", "RBLN_DEVICE_STATUS:CARD_POWER"):
                assert s.value == truth.npu(s.label_dict["uuid"], t)["power_watts"]
    for tg, ss in _samples(fleet, "ipmi", t):
        np_ = truth.node_power(tg.cluster, tg.node, t)
        dcmi = [s.value for s in ss if s.name == "ipmi_dcmi_power_consumption_watts"]
        assert dcmi == ([] if np_["measured_power_watts"] is None else [np_["measured_power_watts"]])
    for c in fleet.clusters:
        if c.kepler_generation != "0.10":
            continue
        for tg, ss in _samples(fleet, "kepler", t, c.name):
            for s in ss:
                d = s.label_dict
                if s.name == "kepler_pod_cpu_watts" and d["zone"] == "package":
                    want = truth.pod_power(c.name, d["pod_namespace"], d["pod_name"], t)["cpu_power_watts"]
                    assert _close(s.value, want, 1e-12)
                elif s.name == "kepler_node_cpu_watts" and d["zone"] == "package":
                    assert _close(s.value, truth.node_power(c.name, tg.node, t)["cpu_power_watts"], 1e-12)


# -- breakdowns add up ----------------------------------------------------------------------
@pytest.mark.parametrize("offset", [0.25 * H, 11 * H + 7, 23 * H])
def test_node_and_pod_breakdowns_add_up(fleet, truth, offset):
    t = EPOCH + offset
    for c in fleet.clusters:
        for n in c.nodes:
            np_ = truth.node_power(c.name, n.name, t)
            if not np_["up"]:
                assert np_["power_watts"] is None
                continue
            assert _close(
                np_["cpu_idle_watts"] + np_["cpu_pods_watts"] + np_["cpu_system_watts"], np_["cpu_power_watts"]
            )
            parts = np_["cpu_power_watts"] + np_["dram_power_watts"] + np_["gpu_power_watts"] + np_["npu_power_watts"]
            assert _close(parts, np_["components_watts"])
            if np_["measured_power_watts"] is not None:
                assert np_["other_watts"] > 0
                assert np_["power_watts"] == np_["measured_power_watts"]
            pods = [truth.pod_power(c.name, p.namespace, p.name, t) for p in n.pods]
            assert _close(sum(p["cpu_power_watts"] for p in pods), np_["cpu_pods_watts"])
            # GPU power: pods' attributed share + idle GPUs + free MIG slices == node GPU power.
            unattributed = sum(truth.gpu(g.uuid, t)["power_watts"] for g in n.gpus if g.pod is None and not g.mig)
            for g in n.gpus:
                free = sum(i.slices for i in g.mig if i.pod is None) + (MIG_SLICES - sum(i.slices for i in g.mig))
                if g.mig:
                    unattributed += truth.gpu(g.uuid, t)["power_watts"] * free / MIG_SLICES
            assert _close(sum(p["gpu_power_watts"] for p in pods) + unattributed, np_["gpu_power_watts"])
            idle_npu = sum(truth.npu(x.uuid, t)["power_watts"] for x in n.npus if x.pod is None and not x.partitions)
            assert _close(sum(p["npu_power_watts"] for p in pods) + idle_npu, np_["npu_power_watts"])


def test_energy_breakdowns_add_up(fleet, truth):
    t0, t1 = EPOCH + 3 * H, EPOCH + 4 * H
    for c in fleet.clusters:
        for n in c.nodes:
            key = (c.name, n.name)
            parts = sum(truth.energy_joules(f"node_{p}", key, t0, t1) for p in ("cpu", "dram", "gpu", "npu"))
            wall = truth.energy_joules("node_wall", key, t0, t1)
            assert _close(wall, n.other_watts * (t1 - t0) + (1 + n.psu_loss) * parts)
            assert wall > parts
        total_ns = 0.0
        for ns in c.namespaces:
            kwh = truth.namespace_energy_kwh(c.name, ns, t0, t1)
            pods = [p for p in c.pods if p.namespace == ns and p.running]
            want = sum(truth.energy_joules("pod_total", (c.name, ns, p.name), t0, t1) for p in pods) / J_PER_KWH
            assert _close(kwh["total"], want)
            assert _close(kwh["cpu"] + kwh["dram"] + kwh["gpu"] + kwh["npu"], kwh["total"])
            total_ns += kwh["total"]
        assert total_ns > 0


def test_mig_and_partition_attribution(fleet, truth):
    t = EPOCH + 9 * H
    g = next(x for x in fleet.gpus.values() if x.mig)
    power = truth.gpu(g.uuid, t)["power_watts"]
    for inst in g.mig:
        if inst.pod is None:
            continue
        pp = truth.pod_power(g.cluster, inst.pod.namespace, inst.pod.name, t)
        assert _close(pp["gpu_power_watts"], power * inst.slices / MIG_SLICES)
    card = next(x for x in fleet.npus.values() if x.partitions)
    power = truth.npu(card.uuid, t)["power_watts"]
    for p in card.partitions:
        pp = truth.pod_power(card.cluster, p.pod.namespace, p.pod.name, t)
        assert _close(pp["npu_power_watts"], power * len(p.core_ids) / card.model.cores)


# -- nulls and statuses --------------------------------------------------------------------------
def test_truth_nulls_and_statuses(fleet, truth):
    t = EPOCH + 2 * H
    l40s = [g for g in fleet.gpus.values() if g.model.key == "L40S"]
    assert l40s and all(truth.gpu(g.uuid, t)["memory_temperature_celsius"] is None for g in l40s)
    mig = truth.gpu(next(g.uuid for g in fleet.gpus.values() if g.mig), t)
    # No GPU_UTIL under MIG: the slice-weighted engine activity of the instances instead.
    assert 0 < mig["utilization_percent"] < 100 and len(mig["mig_instances"]) == 3
    statuses = {truth.gpu(u, t)["status"] for u in fleet.gpus}
    assert statuses == {"active", "idle"}
    cluster, node = fleet.stopped
    after = fleet.stopped_at + 60
    stopped = [g for g in fleet.gpus.values() if g.node == node]
    for g in stopped:
        tr = truth.gpu(g.uuid, after)
        assert tr["status"] == "unavailable" and tr["power_watts"] is None
        # No data after the stop: energy windows are clipped there.
        assert truth.energy_joules("gpu", g.uuid, after, after + H) == 0.0
    assert truth.node_power(cluster, node, after)["power_watts"] is None


def test_gauge_integration_approximates_exact_npu_energy(fleet, truth):
    """What the API does for gauge-only sources (avg_over_time * window) lands close to the exact integral."""
    t0 = EPOCH + 13 * H
    for uuid in list(fleet.npus)[:6]:
        samples = [truth.npu(uuid, t0 + 30 * k)["power_watts"] for k in range(120)]
        approx = sum(samples) / len(samples) * H
        assert math.isclose(approx, truth.energy_joules("npu", uuid, t0, t0 + H), rel_tol=0.02)


def test_dump_writes_json(fleet, truth, tmp_path):
    path = tmp_path / "truth.json"
    truth.dump(EPOCH + 12 * H, path)
    doc = json.loads(path.read_text())
    assert doc["seed"] == 7 and len(doc["clusters"]) == 3
    assert doc["reset"]["gpu"] == fleet.reset_gpu
    assert sum(len(c["gpus"]) for c in doc["clusters"]) == len(fleet.gpus)


def test_cluster_power_sums_reporting_nodes(fleet, truth):
    t = fleet.stopped_at + 600
    cluster, node = fleet.stopped
    cp = truth.cluster_power(cluster, t)
    c = fleet.cluster(cluster)
    assert cp["nodes"] == len(c.nodes) and cp["nodes_up"] == len(c.nodes) - 1
    want = sum(truth.node_power(cluster, n.name, t)["power_watts"] for n in c.nodes if n.name != node)
    assert _close(cp["power_watts"], want)
    assert set(truth.gpu_uuids()) == set(fleet.gpus) and set(truth.npu_ids()) == set(fleet.npus)
