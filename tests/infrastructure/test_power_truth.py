"""Node and pod power against the fleet's ground truth, on both Kepler generations."""

from __future__ import annotations

import pytest

from demo.catalog import MIG_SLICES
from tests.infrastructure.helpers import NODE_PARTS, POD_PARTS, close, get_all, history_time, node_truth, pod_truth

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db]

NODES = "/api/v1/infrastructure/nodes"
PODS = "/api/v1/infrastructure/pods"


def test_both_kepler_generations_are_in_the_fleet(fleet_prometheus):
    assert {c.kepler_generation for c in fleet_prometheus.fleet.clusters} == {"0.7", "0.10"}


def test_node_power_parts_equal_truth(staff_api, fleet_clusters, fleet_prometheus):
    fp, t = fleet_prometheus, history_time(fleet_prometheus.fleet)
    body = get_all(staff_api, NODES, time=int(t))
    assert all(c["status"] == "ok" for c in body["clusters"]), body["clusters"]
    rows = {(r["cluster"], r["name"]): r for r in body["results"]}
    assert set(rows) == set(fp.fleet.nodes)
    for (cluster, name), row in rows.items():
        expected = node_truth(fp, cluster, name, t)
        for key in (*NODE_PARTS, "measured_power_watts"):
            assert close(row[key], expected[key]), (cluster, name, key, row[key], expected[key])
        # power_watts is the DCMI wall power when the BMC has DCMI, else the sum of the parts.
        parts = sum(row[k] for k in NODE_PARTS)
        assert close(row["power_watts"], row["measured_power_watts"] or parts)
        node = fp.fleet.nodes[(cluster, name)]
        assert row["gpu_count"] == len(node.gpus) and row["npu_count"] == len(node.npus)


def test_node_breakdown_adds_up_and_reports_idle(staff_api, fleet_clusters, fleet_prometheus):
    fp, t = fleet_prometheus, history_time(fleet_prometheus.fleet)
    for c in fp.fleet.clusters:
        for n in c.nodes:
            r = staff_api.get(f"{NODES}/{n.name}/power", {"time": int(t), "window": "1h"})
            assert r.status_code == 200, r.content
            now = r.json()["now"]
            cpu = now["cpu"]
            # Package = idle + pods + the rest (non-pod processes); core/uncore never added on top.
            assert cpu["power_watts"] == pytest.approx(cpu["idle_watts"] + cpu["pods_watts"] + cpu["system_watts"])
            assert close(cpu["idle_watts"], n.cpu_idle_watts), (c.name, n.name)
            parts = cpu["power_watts"] + now["dram"]["power_watts"] + now["gpu_power_watts"] + now["npu_power_watts"]
            assert now["components_watts"] == pytest.approx(parts)
            if now["measured_power_watts"] is None:
                assert now["other_watts"] is None and now["power_watts"] == pytest.approx(parts)
                assert now["source"] == "components"
            else:
                assert now["other_watts"] == pytest.approx(now["measured_power_watts"] - parts)
                assert now["power_watts"] == now["measured_power_watts"] and now["source"] == "measured"
            expected = node_truth(fp, c.name, n.name, t)
            if c.kepler_generation == "0.10":
                assert close(cpu["pods_watts"], expected["cpu_pods_watts"])
                assert close(cpu["system_watts"], expected["cpu_system_watts"])


def test_node_energy_over_a_window_equals_truth(staff_api, fleet_clusters, fleet_prometheus):
    fp, t = fleet_prometheus, history_time(fleet_prometheus.fleet)
    for c in fp.fleet.clusters:
        for n in c.nodes:
            body = staff_api.get(f"{NODES}/{n.name}/power", {"time": int(t), "window": "1h"}).json()["window"]
            key = (c.name, n.name)
            parts = body["parts_energy_kwh"]
            for part in ("cpu", "dram", "gpu"):  # counters: exact
                expected = fp.truth.energy_joules(f"node_{part}", key, t - 3600, t) / 3.6e6
                assert close(parts[part], expected), (key, part, parts[part], expected)
            # NPU power is a gauge integrated on a 30 s grid: compare with its scraped integral.
            expected_npu = fp.truth.energy_joules("node_npu", key, t - 3600, t, scraped=True) / 3.6e6
            assert close(parts["npu"], expected_npu), (key, parts["npu"], expected_npu)
            if n.has_dcmi:
                assert body["energy_source"] == "measured"
                assert close(body["energy_kwh"], fp.truth.energy_joules("node_wall", key, t - 3600, t) / 3.6e6, 0.02)
            else:
                assert body["energy_source"] == "components"
                assert body["energy_kwh"] == pytest.approx(sum(parts[p] for p in ("cpu", "dram", "gpu", "npu")))
            assert body["min_power_watts"] <= body["avg_power_watts"] <= body["max_power_watts"]
            assert len(body["series"]) == 3600 // body["step_seconds"] + 1


def test_pod_power_parts_equal_truth(staff_api, fleet_clusters, fleet_prometheus):
    fp, t = fleet_prometheus, history_time(fleet_prometheus.fleet)
    rows = {(r["cluster"], r["namespace"], r["name"]): r for r in get_all(staff_api, PODS, time=int(t))["results"]}
    assert set(rows) == set(fp.fleet.pods)
    for key, row in rows.items():
        expected = pod_truth(fp, *key, t)
        assert row["phase"] == expected["phase"] and row["node"] == expected["node"]
        for part in POD_PARTS:
            assert close(row[part], expected[part]), (key, part, row[part], expected[part])
        assert row["power_watts"] == pytest.approx(sum(row[k] for k in NODE_PARTS))


def test_pod_gpu_power_follows_dcgm_pod_labels_including_mig(staff_api, fleet_clusters, fleet_prometheus):
    fp, t = fleet_prometheus, history_time(fleet_prometheus.fleet)
    rows = {(r["cluster"], r["namespace"], r["name"]): r for r in get_all(staff_api, PODS, time=int(t))["results"]}
    gpus = {g["uuid"]: g for g in (fp.truth.gpu(u, t) for u in fp.truth.gpu_uuids())}
    mig = next(g for g in fp.fleet.gpus.values() if g.mig)
    checked = 0
    for inst in mig.mig:
        if inst.pod is None:
            continue
        row = rows[(mig.cluster, inst.pod.namespace, inst.pod.name)]
        assert row["gpus"] == [mig.uuid]
        assert close(row["gpu_power_watts"], gpus[mig.uuid]["power_watts"] * inst.slices / MIG_SLICES)
        checked += 1
    assert checked == 2
    # Whole GPUs: a pod gets exactly the power of the GPUs labelled with it.
    for g in fp.fleet.gpus.values():
        if g.pod is not None:
            row = rows[(g.cluster, g.pod.namespace, g.pod.name)]
            assert g.uuid in row["gpus"]
            assert close(row["gpu_power_watts"], sum(gpus[u]["power_watts"] for u in row["gpus"]))


def test_npu_partitions_split_the_card_by_cores(staff_api, fleet_clusters, fleet_prometheus):
    fp, t = fleet_prometheus, history_time(fleet_prometheus.fleet)
    card = next(x for x in fp.fleet.npus.values() if x.partitions)
    rows = {(r["cluster"], r["namespace"], r["name"]): r for r in get_all(staff_api, PODS, time=int(t))["results"]}
    watts = fp.truth.npu(card.uuid, t)["power_watts"]
    for part in card.partitions:
        row = rows[(card.cluster, part.pod.namespace, part.pod.name)]
        assert row["npus"] == [card.uuid]
        assert close(row["npu_power_watts"], watts * len(part.core_ids) / card.model.cores)


def test_stopped_node_is_unknown_with_null_power(staff_api, fleet_clusters, fleet_prometheus):
    fp = fleet_prometheus
    _cluster, name = fp.fleet.stopped
    row = staff_api.get(f"{NODES}/{name}").json()  # now: it stopped 20-80 minutes ago
    assert row["status"] == "unknown"
    for key in ("power_watts", *NODE_PARTS, "measured_power_watts"):
        assert row[key] is None, key
    for pod in row["pods"]:
        if pod["phase"] == "Running":
            assert pod["power_watts"] is None and pod["cpu_power_watts"] is None


def test_pod_energy_over_a_window_equals_truth(staff_api, fleet_clusters, fleet_prometheus):
    fp, t = fleet_prometheus, history_time(fleet_prometheus.fleet)
    mig = next(g for g in fp.fleet.gpus.values() if g.mig)
    card = next(x for x in fp.fleet.npus.values() if x.partitions)
    pods = [(mig.cluster, i.pod) for i in mig.mig if i.pod] + [(card.cluster, p.pod) for p in card.partitions]
    pods += [(c.name, next(p for p in c.pods if p.running and not p.system)) for c in fp.fleet.clusters]
    for cluster, pod in pods:
        url = f"/api/v1/infrastructure/pods/{pod.namespace}/{pod.name}/power"
        r = staff_api.get(url, {"time": int(t), "window": "1h", "cluster": cluster})
        assert r.status_code == 200, r.content
        window = r.json()["window"]
        key = (cluster, pod.namespace, pod.name)
        for part in ("cpu", "dram", "gpu"):
            expected = fp.truth.energy_joules(f"pod_{part}", key, t - 3600, t) / 3.6e6
            assert close(window["parts_energy_kwh"][part], expected), (key, part)
        expected_npu = fp.truth.energy_joules("pod_npu", key, t - 3600, t, scraped=True) / 3.6e6
        assert close(window["parts_energy_kwh"]["npu"], expected_npu), key
