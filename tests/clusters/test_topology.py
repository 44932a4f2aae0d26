"""``/clusters/{name}/topology`` against the real Prometheus fixture and the fleet's ground truth."""

from __future__ import annotations

from collections import Counter

import pytest

from clusters.models import Cluster
from demo.catalog import MIG_SLICES
from tests.infrastructure.helpers import close, history_time, rate_truth
from tests.promcount import counting_requests

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db]


def url(name: str) -> str:
    return f"/api/v1/clusters/{name}/topology"


def _graph(api, name: str, **params) -> dict:
    response = api.get(url(name), params)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok" and body["partial"] is False, body["clusters"]
    return body


def _node_power_truth(fp, cluster: str, node: str, t: float) -> float:
    """Node IT power; on Kepler 0.7 CPU/DRAM are rates of counters (the mean over the rate window)."""
    expected = fp.truth.node_power(cluster, node, t)
    if expected["measured_power_watts"] is not None or fp.fleet.cluster(cluster).kepler_generation != "0.7":
        return expected["power_watts"]
    cpu = rate_truth(fp.truth, "node_cpu", (cluster, node), t)
    dram = rate_truth(fp.truth, "node_dram", (cluster, node), t)
    return cpu + dram + expected["gpu_power_watts"] + expected["npu_power_watts"]


def test_vertices_and_power_equal_truth(staff_api, fleet_clusters, fleet_prometheus):
    fp, t = fleet_prometheus, history_time(fleet_prometheus.fleet)
    for cluster in fleet_clusters:
        body = _graph(staff_api, cluster.name, time=int(t))
        vertices = {v["id"]: v for v in body["nodes"]}
        assert len(vertices) == len(body["nodes"]), "vertex ids are unique"
        sim = fp.fleet.cluster(cluster.name)
        nodes = [v for v in body["nodes"] if v["kind"] == "node"]
        assert {v["name"] for v in nodes} == {n.name for n in sim.nodes}
        for v in nodes:
            assert close(v["power_watts"], _node_power_truth(fp, cluster.name, v["name"], t)), v
        gpus = {v["name"]: v for v in body["nodes"] if v["kind"] == "gpu"}
        assert set(gpus) == set(fp.truth.gpu_uuids(cluster.name))
        for uuid, v in gpus.items():
            truth = fp.truth.gpu(uuid, t)
            assert close(v["power_watts"], truth["power_watts"]), uuid
            assert v["status"] == truth["status"] and v["parent"] == f"node:{truth['node']}"
        npus = {v["name"]: v for v in body["nodes"] if v["kind"] == "npu"}
        assert set(npus) == set(fp.truth.npu_ids(cluster.name))
        for card, v in npus.items():
            assert close(v["power_watts"], fp.truth.npu(card, t)["power_watts"]), card
        # Every edge joins two vertices of the graph.
        assert all(e["source"] in vertices and e["target"] in vertices for e in body["edges"])
        # Totals count each physical thing once: MIG instances and partitions are not added.
        totals = body["totals"]
        assert totals["gpu_power_watts"] == pytest.approx(sum(v["power_watts"] for v in gpus.values()))
        assert totals["nodes_power_watts"] == pytest.approx(sum(v["power_watts"] for v in nodes))
        assert totals["counts"]["gpu"] == len(gpus) and totals["counts"]["npu"] == len(npus)
        hosted = Counter(e["source"] for e in body["edges"] if e["kind"] == "hosts" and e["target"].startswith("gpu:"))
        assert hosted == Counter(f"node:{fp.fleet.gpus[u].node}" for u in gpus)


def _expected_allocations(fp, cluster: str) -> Counter:
    """(physical device, namespace, pod, share) for every device part held by a pod, from the truth."""
    out: Counter = Counter()
    for (c, namespace, pod), parts in fp.truth.attribution.items():
        if c == cluster and fp.fleet.pods[(c, namespace, pod)].phase not in ("Succeeded", "Failed"):
            for share, kind, uuid in parts:
                out[(f"{kind}:{uuid}", namespace, pod, round(share, 6))] += 1
    return out


def test_allocation_edges_equal_truth_including_mig_and_partitions(staff_api, fleet_clusters, fleet_prometheus):
    fp, t = fleet_prometheus, history_time(fleet_prometheus.fleet)
    seen_mig = seen_partition = False
    for cluster in fleet_clusters:
        body = _graph(staff_api, cluster.name, time=int(t))
        vertices = {v["id"]: v for v in body["nodes"]}
        got: Counter = Counter()
        for e in body["edges"]:
            if e["kind"] != "allocated_to":
                continue
            source, pod = vertices[e["source"]], vertices[e["target"]]
            assert pod["kind"] == "pod"
            physical = source["parent"] if source["kind"] in ("mig", "partition") else source["id"]
            got[(physical, pod["namespace"], pod["name"], round(e["share"], 6))] += 1
            if source["kind"] == "mig":
                seen_mig = True
                # The slice's power is its share of the physical GPU's, not more.
                parent = vertices[source["parent"]]
                assert source["power_watts"] == pytest.approx(parent["power_watts"] * e["share"])
                assert e["share"] == pytest.approx(source["power_share"])
            if source["kind"] == "partition":
                seen_partition = True
        assert got == _expected_allocations(fp, cluster.name), cluster.name
        # MIG instances: children of their GPU, slices / 7, together never more than the GPU.
        for mig in (v for v in body["nodes"] if v["kind"] == "mig"):
            parent = vertices[mig["parent"]]
            assert parent["kind"] == "gpu" and mig["power_share"] in {s / MIG_SLICES for s in (1, 2, 3, 4, 7)}
        for gpu in (v for v in body["nodes"] if v["kind"] == "gpu"):
            slices = [v["power_watts"] for v in body["nodes"] if v["kind"] == "mig" and v["parent"] == gpu["id"]]
            assert sum(slices) <= gpu["power_watts"] + 1e-9
    assert seen_mig and seen_partition


def test_pod_vertices_carry_their_attributed_power(staff_api, fleet_clusters, fleet_prometheus):
    fp, t = fleet_prometheus, history_time(fleet_prometheus.fleet)
    cluster = next(c for c in fleet_clusters if fp.fleet.cluster(c.name).kepler_generation == "0.10")
    body = _graph(staff_api, cluster.name, time=int(t))
    pods = {(v["namespace"], v["name"]): v for v in body["nodes"] if v["kind"] == "pod"}
    sim = fp.fleet.cluster(cluster.name)
    assert set(pods) == {(p.namespace, p.name) for p in sim.pods if p.phase not in ("Succeeded", "Failed")}
    for (namespace, name), v in pods.items():
        expected = fp.truth.pod_power(cluster.name, namespace, name, t)
        assert close(v["power_watts"], expected["power_watts"]), (namespace, name)
        assert v["node"] == expected["node"]


def test_node_filter(staff_api, fleet_clusters, fleet_prometheus):
    fp, t = fleet_prometheus, history_time(fleet_prometheus.fleet)
    cluster = fleet_clusters[0]
    sim_node = next(n for n in fp.fleet.cluster(cluster.name).nodes if n.gpus)
    body = _graph(staff_api, cluster.name, node=sim_node.name, time=int(t))
    assert body["node"] == sim_node.name
    assert [v["name"] for v in body["nodes"] if v["kind"] == "node"] == [sim_node.name]
    assert {v["name"] for v in body["nodes"] if v["kind"] == "gpu"} == {g.uuid for g in sim_node.gpus}
    assert all(v["node"] == sim_node.name for v in body["nodes"])
    bad = staff_api.get(url(cluster.name), {"node": "Not_A_Node!"})
    assert bad.status_code == 400 and bad.json()["error"]["details"]["parameter"] == "node"
    missing = staff_api.get(url(cluster.name), {"node": "no-such-node"})
    assert missing.status_code == 404 and missing.json()["error"]["details"]["node"] == "no-such-node"


def test_bad_input_scope_and_dead_cluster(staff_api, token_client, partner_user, fleet_clusters, make_cluster):
    visible, hidden = fleet_clusters[0], fleet_clusters[1]
    assert staff_api.get(url("nowhere")).status_code == 404
    unknown = staff_api.get(url(visible.name), {"bogus": "1"})
    assert unknown.status_code == 400 and unknown.json()["error"]["details"]["parameter"] == "bogus"
    future = staff_api.get(url(visible.name), {"time": "2999-01-01T00:00:00Z"})
    assert future.status_code == 400 and future.json()["error"]["details"]["parameter"] == "time"
    api = token_client(partner_user, clusters=[visible])
    assert api.get(url(hidden.name)).status_code == 404
    assert api.get(url(visible.name)).status_code == 200
    make_cluster("dead-cluster")
    response = staff_api.get(url("dead-cluster"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "error" and body["partial"] is True and body["error"]
    assert body["nodes"] is None and body["edges"] is None and body["clusters"][0]["status"] == "error"
    assert "password" not in response.content.decode().lower()


def test_constant_requests_per_call(staff_api, fleet_clusters, settings, monkeypatch):
    """Three PromQL requests (inventory and power in one, 2 device requests) whatever the cluster's size."""
    settings.KCLOUD_CACHE_ENABLED = False
    sizes = {}
    with counting_requests(monkeypatch) as counts:
        for c in Cluster.objects.all():
            body = _graph(staff_api, c.name)
            sizes[c.name] = len(body["nodes"])
            node = next(v["name"] for v in body["nodes"] if v["kind"] == "node")
            _graph(staff_api, c.name, node=node)
    assert len(set(sizes.values())) > 1, "clusters of different sizes"
    assert counts == dict.fromkeys(sizes, 6), counts  # two calls each


def test_schema_has_the_topology_endpoint(staff_api, db):
    response = staff_api.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    spec = response.json()
    assert "/api/v1/clusters/{name}/topology" in spec["paths"]
    assert "TopologyVertex" in spec["components"]["schemas"]


def test_a_stopped_node_has_unknown_power_not_zero(staff_api, fleet_clusters, fleet_prometheus):
    fp = fleet_prometheus
    cluster, name = fp.fleet.stopped
    body = _graph(staff_api, cluster)  # now: the node stopped reporting 20-80 minutes ago
    vertices = {v["id"]: v for v in body["nodes"]}
    node = vertices[f"node:{name}"]
    assert node["power_watts"] is None and node["status"] == "unknown"
    for v in body["nodes"]:
        if v["node"] == name and v["kind"] in ("gpu", "npu"):
            assert v["status"] == "unavailable" and v["power_watts"] is None, v
        if v["node"] == name and v["kind"] == "pod" and v["status"] == "Running":
            assert v["power_watts"] is None, v
