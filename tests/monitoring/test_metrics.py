"""``/monitoring/timeseries/metrics`` against the real Prometheus fixture, checked against the fleet's truth.

The window ends at :func:`window_end` (every node reports) and its steps fall on
the backfill's 30 s grid, so a gauge's value at a timestamp is exactly what the
exporter printed then (``truth.gpu(uuid, t)``). Counters read through ``rate``
(Kepler 0.7, cAdvisor) are the mean power over the rate window: with samples
every 30 s on the grid and a 2 min window, Prometheus 2 sees both ends, so
``rate`` is the mean over ``[t - 120 s, t]`` (the energy truth over that window).
"""

from __future__ import annotations

from collections import defaultdict
from statistics import mean

import pytest

from demo.catalog import WATTS_PER_CORE
from tests.monitoring.helpers import REL, get, window_end

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db]

SERIES = "/api/v1/monitoring/timeseries/metrics"
STEP = 120
SPAN = 1800
INDEXES = (0, 7, SPAN // STEP)
RATE_SPAN = 120  # the samples a 2 min rate sees at 30 s scrapes (Prometheus 2: both ends included)
GPU_FIELDS = {
    "gpu_utilization_percent": "utilization_percent",
    "gpu_memory_copy_utilization_percent": "memory_copy_utilization_percent",
    "gpu_temperature_celsius": "temperature_celsius",
    "gpu_memory_temperature_celsius": "memory_temperature_celsius",
    "gpu_power_watts": "power_watts",
    "gpu_memory_used_mb": "memory_used_mb",
    "gpu_sm_clock_mhz": "sm_clock_mhz",
    "gpu_memory_clock_mhz": "memory_clock_mhz",
}
NPU_FIELDS = {
    "npu_utilization_percent": "utilization_percent",
    "npu_temperature_celsius": "temperature_celsius",
    "npu_power_watts": "power_watts",
}


@pytest.fixture
def api(staff_api, fleet_clusters, fleet_prometheus):
    staff_api.fleet = fleet_prometheus
    return staff_api


def _series(api, metric: str, group_by: str, **params) -> dict:
    end = int(window_end(api.fleet.fleet))
    body = get(api, SERIES, metric=metric, group_by=group_by, start=end - SPAN, end=end, step=f"{STEP}s", **params)
    assert body["next"] is None
    assert body["step_seconds"] == STEP and len(body["timestamps"]) == SPAN // STEP + 1
    assert all(c["status"] == "ok" for c in body["clusters"]) and body["totals"]["partial"] is False
    return body


def _at(body: dict, index: int) -> int:
    from django.utils.dateparse import parse_datetime

    return int(parse_datetime(body["timestamps"][index]).timestamp())


def _approx(value):
    return None if value is None else pytest.approx(value, rel=REL, abs=1e-9)


@pytest.mark.parametrize("metric", sorted(GPU_FIELDS))
def test_gpu_series_equal_truth(api, metric):
    truth = api.fleet.truth
    body = _series(api, metric, "gpu")
    rows = {r["uuid"]: r for r in body["results"]}
    assert len(rows) == len(body["results"])  # each physical GPU once: MIG rows de-duplicated
    for index in INDEXES:
        t = _at(body, index)
        for uuid in truth.gpu_uuids():
            want = truth.gpu(uuid, t)
            row = rows.get(uuid)
            if want[GPU_FIELDS[metric]] is None:  # MIG utilisation, blank memory temperature: no series
                assert row is None or row[metric][index] is None, uuid
                continue
            assert {k: row[k] for k in ("cluster", "node", "index")} == {
                k: want[k] for k in ("cluster", "node", "index")
            }
            assert row["model"] == want["model_name"]
            assert row[metric][index] == pytest.approx(want[GPU_FIELDS[metric]], rel=1e-9), (uuid, t)


@pytest.mark.parametrize("metric", sorted(NPU_FIELDS))
def test_npu_series_equal_truth(api, metric):
    truth = api.fleet.truth
    body = _series(api, metric, "npu")
    rows = {r["uuid"]: r for r in body["results"]}
    assert sorted(rows) == sorted(truth.npu_ids())  # each card once: partitions de-duplicated
    for index in INDEXES:
        t = _at(body, index)
        for uuid, row in rows.items():
            want = truth.npu(uuid, t)
            assert (row["cluster"], row["node"], row["model"], row["vendor"]) == (
                want["cluster"],
                want["node"],
                want["model_name"],
                want["vendor"],
            )
            assert row[metric][index] == pytest.approx(want[NPU_FIELDS[metric]], rel=1e-9), (uuid, t)


def _gpu_truth(truth, t: float, field: str) -> dict[str, list[float]]:
    """Truth values of every reporting GPU at ``t`` by cluster (each physical GPU once)."""
    out: dict[str, list[float]] = defaultdict(list)
    for uuid in truth.gpu_uuids():
        want = truth.gpu(uuid, t)
        if want[field] is not None:
            out[want["cluster"]].append(want[field])
    return out


def test_cluster_sums_count_each_mig_gpu_once(api):
    """MIG repeats a GPU's power on each GPU_I_ID row: the cluster sum must count it once."""
    truth = api.fleet.truth
    assert any(g.mig for g in api.fleet.fleet.gpus.values())  # the fixture has MIG GPUs
    power = _series(api, "gpu_power_watts", "cluster")
    memory = _series(api, "gpu_memory_used_mb", "cluster")
    for index in INDEXES:
        t = _at(power, index)
        want = {c: sum(v) for c, v in _gpu_truth(truth, t, "power_watts").items()}
        got = {r["cluster"]: r["gpu_power_watts"][index] for r in power["results"]}
        assert got == {c: _approx(v) for c, v in want.items()}
        assert power["totals"]["gpu_power_watts"][index] == _approx(sum(want.values()))
        # Framebuffer memory is per MIG instance: those add up (truth: sum of the instances).
        want = {c: sum(v) for c, v in _gpu_truth(truth, t, "memory_used_mb").items()}
        assert {r["cluster"]: r["gpu_memory_used_mb"][index] for r in memory["results"]} == {
            c: _approx(v) for c, v in want.items()
        }


def test_averages_by_cluster_model_and_node(api):
    truth = api.fleet.truth
    by_cluster = _series(api, "gpu_temperature_celsius", "cluster")
    by_model = _series(api, "gpu_utilization_percent", "model")
    by_node = _series(api, "gpu_temperature_celsius", "node")
    assert all("cluster" not in r for r in by_model["results"])  # model rows are fleet-wide
    for index in INDEXES:
        t = _at(by_cluster, index)
        temps = _gpu_truth(truth, t, "temperature_celsius")
        got = {r["cluster"]: r["gpu_temperature_celsius"][index] for r in by_cluster["results"]}
        assert got == {c: _approx(mean(v)) for c, v in temps.items()}
        everything = [v for values in temps.values() for v in values]
        assert by_cluster["totals"]["gpu_temperature_celsius"][index] == _approx(mean(everything))
        models: dict[str, list[float]] = defaultdict(list)
        nodes: dict[tuple, list[float]] = defaultdict(list)
        for uuid in truth.gpu_uuids():
            want = truth.gpu(uuid, t)
            if want["utilization_percent"] is not None:
                models[want["model_name"]].append(want["utilization_percent"])
            nodes[(want["cluster"], want["node"])].append(want["temperature_celsius"])
        got = {r["model"]: r["gpu_utilization_percent"][index] for r in by_model["results"]}
        assert got == {m: _approx(mean(v)) for m, v in models.items()}
        got = {(r["cluster"], r["node"]): r["gpu_temperature_celsius"][index] for r in by_node["results"]}
        assert got == {k: _approx(mean(v)) for k, v in nodes.items()}


def test_gpu_power_by_namespace_follows_allocations_and_adds_up(api):
    truth, fleet = api.fleet.truth, api.fleet.fleet
    body = _series(api, "gpu_power_watts", "namespace")
    clusters = {r["cluster"]: r["gpu_power_watts"] for r in _series(api, "gpu_power_watts", "cluster")["results"]}
    for index in INDEXES:
        t = _at(body, index)
        per_cluster: dict[str, float] = defaultdict(float)
        for row in body["results"]:
            per_cluster[row["cluster"]] += row["gpu_power_watts"][index] or 0.0
        assert per_cluster == {c: _approx(v[index]) for c, v in clusters.items()}
        want: dict[tuple, float] = defaultdict(float)
        for (cluster, namespace, pod), p in fleet.pods.items():
            if p.running and truth.attribution.get((cluster, namespace, pod)):
                want[(cluster, namespace)] += truth.pod_power(cluster, namespace, pod, t)["gpu_power_watts"]
        got = {(r["cluster"], r["namespace"]): r["gpu_power_watts"][index] for r in body["results"]}
        assert {k: v for k, v in got.items() if k[1] != "__unattributed__"} == {
            k: _approx(v) for k, v in want.items() if v
        }
        assert any(ns == "__unattributed__" for _c, ns in got)


def test_npu_utilization_by_namespace_counts_held_devices(api):
    body = _series(api, "npu_utilization_percent", "namespace")
    names = {r["namespace"] for r in body["results"]}
    assert "__unattributed__" not in names
    assert all(v is None or 0 <= v <= 100 for r in body["results"] for v in r["npu_utilization_percent"])


def test_node_series_equal_truth(api):
    truth, fleet = api.fleet.truth, api.fleet.fleet
    fields = {
        "node_power_watts": "power_watts",
        "node_gpu_power_watts": "gpu_power_watts",
        "node_npu_power_watts": "npu_power_watts",
        "node_measured_power_watts": "measured_power_watts",
    }
    for metric, field in fields.items():
        body = _series(api, metric, "node")
        got_rows = {(r["cluster"], r["node"]): r[metric] for r in body["results"]}
        for index in INDEXES:
            t = _at(body, index)
            for cluster in fleet.clusters:
                for node in cluster.nodes:
                    want = truth.node_power(cluster.name, node.name, t)[field]
                    if metric == "node_power_watts" and cluster.kepler_generation == "0.7" and not node.has_dcmi:
                        continue  # parts from a rate: checked below through the energy
                    values = got_rows.get((cluster.name, node.name))
                    if not want:
                        assert values is None or values[index] in (None, 0.0), (metric, node.name)
                        continue
                    assert values[index] == pytest.approx(want, rel=1e-9), (metric, cluster.name, node.name, t)


def _rate_truth(truth, kind: str, key: tuple, t: float) -> float:
    return truth.energy_joules(kind, key, t - RATE_SPAN, t) / RATE_SPAN


def test_node_cpu_and_dram_power_equal_truth_in_both_kepler_generations(api):
    truth, fleet = api.fleet.truth, api.fleet.fleet
    assert {c.kepler_generation for c in fleet.clusters} == {"0.7", "0.10"}
    for metric, part in (("node_cpu_power_watts", "cpu"), ("node_dram_power_watts", "dram")):
        body = _series(api, metric, "node")
        rows = {(r["cluster"], r["node"]): r[metric] for r in body["results"]}
        assert set(rows) == {(c.name, n.name) for c in fleet.clusters for n in c.nodes}
        for index in INDEXES:
            t = _at(body, index)
            for cluster in fleet.clusters:
                for node in cluster.nodes:
                    if cluster.kepler_generation == "0.7":
                        want = _rate_truth(truth, f"node_{part}", (cluster.name, node.name), t)
                    else:
                        want = truth.node_power(cluster.name, node.name, t)[f"{part}_power_watts"]
                    assert rows[(cluster.name, node.name)][index] == _approx(want), (metric, node.name)


def test_pod_series_equal_truth(api):
    truth, fleet = api.fleet.truth, api.fleet.fleet
    power = _series(api, "pod_cpu_power_watts", "pod")
    cores = _series(api, "pod_cpu_usage_cores", "pod")
    by_ns = _series(api, "pod_cpu_power_watts", "namespace")
    power_rows = {(r["cluster"], r["namespace"], r["pod"]): r["pod_cpu_power_watts"] for r in power["results"]}
    core_rows = {(r["cluster"], r["namespace"], r["pod"]): r["pod_cpu_usage_cores"] for r in cores["results"]}
    ns_rows = {(r["cluster"], r["namespace"]): r["pod_cpu_power_watts"] for r in by_ns["results"]}
    generation = {c.name: c.kepler_generation for c in fleet.clusters}
    running = [key for key, p in fleet.pods.items() if p.running]
    assert set(power_rows) == set(running)
    for index in INDEXES:
        t = _at(power, index)
        namespaces: dict[tuple, float] = defaultdict(float)
        for key in running:
            mean_power = _rate_truth(truth, "pod_cpu", key, t)
            want = mean_power if generation[key[0]] == "0.7" else truth.pod_power(*key, t)["cpu_power_watts"]
            assert power_rows[key][index] == _approx(want), key
            # cAdvisor CPU seconds are the pod's package energy / WATTS_PER_CORE (demo.catalog).
            assert core_rows[key][index] == _approx(mean_power / WATTS_PER_CORE), key
            namespaces[key[:2]] += power_rows[key][index]
        assert {k: v[index] for k, v in ns_rows.items()} == {k: _approx(v) for k, v in namespaces.items()}


def test_pod_power_equals_truth(api):
    """CPU + DRAM (Kepler) + the pod's shares of its GPUs/NPUs, as ``truth.pod_power``."""
    truth, fleet = api.fleet.truth, api.fleet.fleet
    body = _series(api, "pod_power_watts", "pod")
    by_cluster = _series(api, "pod_power_watts", "cluster")
    rows = {(r["cluster"], r["namespace"], r["pod"]): r for r in body["results"]}
    generation = {c.name: c.kepler_generation for c in fleet.clusters}
    running = [key for key, p in fleet.pods.items() if p.running]
    assert set(rows) == set(running)
    for index in INDEXES:
        t = _at(body, index)
        clusters: dict[str, float] = defaultdict(float)
        for key in running:
            want = truth.pod_power(*key, t)
            assert rows[key]["node"] == want["node"], key
            if generation[key[0]] == "0.7":
                cpu = _rate_truth(truth, "pod_cpu", key, t) + _rate_truth(truth, "pod_dram", key, t)
                expected = cpu + want["gpu_power_watts"] + want["npu_power_watts"]
            else:
                expected = want["power_watts"]
            assert rows[key]["pod_power_watts"][index] == _approx(expected), key
            clusters[key[0]] += rows[key]["pod_power_watts"][index]
        got = {r["cluster"]: r["pod_power_watts"][index] for r in by_cluster["results"]}
        assert got == {c: _approx(v) for c, v in clusters.items()}


def test_dead_cluster_makes_the_answer_partial(api, make_cluster):
    make_cluster("dead-cluster")
    end = int(window_end(api.fleet.fleet))
    body = get(api, SERIES, metric="gpu_power_watts", start=end - SPAN, end=end, step=f"{STEP}s")
    assert body["totals"]["partial"] is True and body["totals"]["missing_clusters"] == ["dead-cluster"]
    assert {c["name"]: c["status"] for c in body["clusters"]}["dead-cluster"] == "error"
    assert "dead-cluster" not in {r["cluster"] for r in body["results"]}


def test_answer_describes_itself(api):
    body = _series(api, "gpu_temperature_celsius", "cluster")
    assert (body["metric"], body["unit"], body["aggregation"], body["resource"], body["group_by"]) == (
        "gpu_temperature_celsius",
        "celsius",
        "avg",
        "gpus",
        "cluster",
    )
    assert set(body["results"][0]) == {"cluster", "gpu_temperature_celsius"}


def test_node_power_equals_the_power_series_by_node(api):
    metric = _series(api, "node_power_watts", "node")
    end = int(window_end(api.fleet.fleet))
    power = get(api, "/api/v1/monitoring/timeseries/power", group_by="node", start=end - SPAN, end=end, step="120s")
    assert metric["timestamps"] == power["timestamps"]
    assert {(r["cluster"], r["node"]): r["node_power_watts"] for r in metric["results"]} == {
        (r["cluster"], r["node"]): r["power_watts"] for r in power["results"]
    }
    assert metric["totals"]["node_power_watts"] == pytest.approx(power["totals"]["power_watts"], rel=1e-12)


def test_service_interface_for_exports(api, fleet_clusters):
    """What ``/export/metrics`` builds on: rows of group fields and ``points`` ``[[unix, value], ...]``."""
    from monitoring.services.metrics import METRICS, fetch_metric_series

    end = int(window_end(api.fleet.fleet))
    series = fetch_metric_series(fleet_clusters, "npu_power_watts", "npu", end - 600, end + 59, 300)
    assert series.metric is METRICS["npu_power_watts"] and series.step_seconds == 300
    assert series.timestamps == [end - 600, end - 300, end] and not series.partial
    assert all(c["status"] == "ok" for c in series.clusters)
    row = series.rows[0]
    assert set(row) == {"cluster", "node", "uuid", "model", "vendor", "points"}
    assert [ts for ts, _v in row["points"]] == [end - 600, end - 300, end]
    want = api.fleet.truth.npu(row["uuid"], end)["power_watts"]
    assert row["points"][-1][1] == pytest.approx(want, rel=1e-9)
    total = sum(r["points"][-1][1] for r in series.rows)
    assert series.totals[-1] == [end, pytest.approx(total, rel=1e-12)]
