"""Infrastructure API behaviour: lists, details, VMs, containers, bad input, ambiguity, dead clusters, scope."""

from __future__ import annotations

import pytest

from clusters.models import Cluster
from tests.conftest import CLOSED_URL
from tests.infrastructure.helpers import close, get_all, history_time

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db]

BASE = "/api/v1/infrastructure"


def _error(response, status: int, parameter: str | None = None) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    if parameter is not None:
        assert error["details"]["parameter"] == parameter, error
        assert parameter in error["message"]
    return error


# -- lists ------------------------------------------------------------------------------------
def test_node_list_filters_ordering_and_pagination(staff_api, fleet_clusters, fleet_prometheus):
    fleet, t = fleet_prometheus.fleet, int(history_time(fleet_prometheus.fleet))
    body = get_all(staff_api, f"{BASE}/nodes", time=t, ordering="-power_watts")
    watts = [r["power_watts"] for r in body["results"]]
    assert watts == sorted(watts, reverse=True)
    assert body["timestamp"].endswith("Z")
    gpu_nodes = get_all(staff_api, f"{BASE}/nodes", time=t, has_gpu="true")["results"]
    assert {r["name"] for r in gpu_nodes} == {n.name for n in fleet.nodes.values() if n.gpus}
    npu_nodes = get_all(staff_api, f"{BASE}/nodes", time=t, has_npu="true", cluster="seoul-a")["results"]
    assert [r["name"] for r in npu_nodes] == [n.name for n in fleet.cluster("seoul-a").nodes if n.npus]
    assert get_all(staff_api, f"{BASE}/nodes", time=t, status="not_ready")["count"] == 0
    page = staff_api.get(f"{BASE}/nodes", {"page_size": 2, "page": 2, "time": t}).json()
    assert page["count"] == len(fleet.nodes) and len(page["results"]) == 2 and page["previous"]
    now = get_all(staff_api, f"{BASE}/nodes", status="unknown")["results"]
    assert [(r["cluster"], r["name"]) for r in now] == [fleet.stopped]


def test_node_detail_has_devices_pods_and_resources(staff_api, fleet_clusters, fleet_prometheus):
    fleet, t = fleet_prometheus.fleet, int(history_time(fleet_prometheus.fleet))
    node = fleet.cluster("seoul-a").nodes[0]
    body = staff_api.get(f"{BASE}/nodes/{node.name}", {"time": t}).json()
    assert body["cluster"] == "seoul-a" and body["kepler_generation"] == "0.7"
    assert sorted(g["id"] for g in body["gpus"]) == sorted(g.uuid for g in node.gpus)
    mig = next(g for g in body["gpus"] if len(g["allocations"]) > 1)
    assert sorted(a["share"] for a in mig["allocations"]) == pytest.approx([2 / 7, 3 / 7])
    on_node = [p for p in fleet.cluster("seoul-a").pods if p.node == node.name]  # any phase
    assert sorted(p["name"] for p in body["pods"]) == sorted(p.name for p in on_node)
    assert body["capacity"]["nvidia_com_mig_3g_40gb"] == 1
    assert body["allocatable_cpu_cores"] == node.cpu_cores - 2
    metrics = staff_api.get(f"{BASE}/nodes/{node.name}/metrics", {"time": t}).json()
    assert metrics["pods"] == len(node.pods)
    assert metrics["containers"] == sum(len(p.containers) for p in node.pods)
    assert metrics["cpu_usage_cores"] > 0 and metrics["memory_working_set_mb"] > 0


def test_summaries(staff_api, fleet_clusters, fleet_prometheus):
    fleet, t = fleet_prometheus.fleet, int(history_time(fleet_prometheus.fleet))
    nodes = staff_api.get(f"{BASE}/nodes/summary", {"time": t, "top": 3}).json()
    assert nodes["nodes"] == len(fleet.nodes) and nodes["by_status"]["ready"] == len(fleet.nodes)
    rows = get_all(staff_api, f"{BASE}/nodes", time=t)["results"]
    assert nodes["total"]["power_watts"] == pytest.approx(sum(r["power_watts"] for r in rows))
    assert [n["name"] for n in nodes["top"]] == [r["name"] for r in sorted(rows, key=lambda r: -r["power_watts"])[:3]]
    pods = staff_api.get(f"{BASE}/pods/summary", {"time": t}).json()
    assert pods["pods"] == len(fleet.pods)
    assert pods["by_phase"]["Running"] == sum(1 for p in fleet.pods.values() if p.running)
    assert sum(ns["power_watts"] for ns in pods["by_namespace"]) == pytest.approx(pods["power_watts"])
    for ns in pods["by_namespace"]:
        parts = ("cpu_power_watts", "dram_power_watts", "gpu_power_watts", "npu_power_watts")
        assert ns["power_watts"] == pytest.approx(sum(ns[p] for p in parts))


def test_pod_filters_and_detail_with_containers(staff_api, fleet_clusters, fleet_prometheus):
    fleet, t = fleet_prometheus.fleet, int(history_time(fleet_prometheus.fleet))
    running = get_all(staff_api, f"{BASE}/pods", time=t, phase="Running", namespace="kube-system")["results"]
    assert running and all(r["phase"] == "Running" and r["namespace"] == "kube-system" for r in running)
    big = get_all(staff_api, f"{BASE}/pods", time=t, min_power_watts=500, ordering="-gpu_power_watts")["results"]
    assert big and all(r["power_watts"] >= 500 for r in big)
    node = fleet.cluster("busan-b").nodes[0].name
    on_node = get_all(staff_api, f"{BASE}/pods", time=t, node=node)["results"]
    assert {r["name"] for r in on_node} == {p.name for p in fleet.cluster("busan-b").pods if p.node == node}
    pod = next(p for p in fleet.cluster("busan-b").pods if len(p.containers) == 2 and p.running)
    body = staff_api.get(f"{BASE}/pods/{pod.namespace}/{pod.name}", {"time": t, "cluster": "busan-b"}).json()
    assert [c["name"] for c in body["container_details"]] == sorted(c.name for c in pod.containers)
    # Containers split the pod's Kepler power (0.9 / 0.1 in the fleet) and add up to it.
    assert sum(c["cpu_power_watts"] for c in body["container_details"]) == pytest.approx(body["cpu_power_watts"])
    main = next(c for c in pod.containers if c.share == 0.9)
    row = next(c for c in body["container_details"] if c["name"] == main.name)
    assert close(row["cpu_power_watts"], 0.9 * body["cpu_power_watts"])
    assert row["cpu_usage_cores"] > 0 and row["image"] == main.image
    one = staff_api.get(f"{BASE}/containers/{pod.namespace}/{pod.name}/{main.name}", {"time": t, "cluster": "busan-b"})
    assert one.status_code == 200 and one.json() == row


def test_container_list_covers_both_generations(staff_api, fleet_clusters, fleet_prometheus):
    fleet, t = fleet_prometheus.fleet, int(history_time(fleet_prometheus.fleet))
    rows = get_all(staff_api, f"{BASE}/containers", time=t, phase="Running")["results"]
    expected = {(p.namespace, p.name, c.name) for p in fleet.pods.values() if p.running for c in p.containers}
    assert {(r["namespace"], r["pod"], r["name"]) for r in rows} == expected
    for r in rows:
        assert r["cpu_power_watts"] is not None and r["cpu_usage_cores"] is not None, r
    # Pause / pod-cgroup rows (container="" or "POD") never appear as containers.
    assert all(r["name"] not in ("", "POD") for r in rows)


def test_vms_listed_with_their_hosts(staff_api, fleet_clusters, fleet_prometheus):
    fleet, t = fleet_prometheus.fleet, int(history_time(fleet_prometheus.fleet))
    body = get_all(staff_api, f"{BASE}/vms", time=t)  # regular 30 s history: rates are exact
    vms = [vm for c in fleet.clusters for vm in c.vms]
    assert vms, "the fleet has VMs on busan-b"
    rows = {r["id"]: r for r in body["results"]}
    assert set(rows) == {vm.uuid for vm in vms}
    for vm in vms:
        row = rows[vm.uuid]
        assert row["host"] == vm.node and row["name"] == vm.name and row["cluster"] == vm.node.rsplit("-", 2)[0]
        assert row["state"] == vm.status.lower() and row["vcpus"] == vm.vcpus
        assert row["memory_mb"] == vm.memory_bytes / 2**20 and row["flavor"] == vm.flavor
        assert row["project"] == vm.project_name
        assert row["power_watts"] is None  # no Kepler VM series in this fleet: null, not a guess
        if vm.status == "ACTIVE":
            assert row["cpu_usage_cores"] == pytest.approx(vm.vcpus * vm.cpu_util, rel=0.01)
    one = staff_api.get(f"{BASE}/vms/{vms[0].uuid}")
    assert one.status_code == 200 and one.json()["host"] == vms[0].node
    assert get_all(staff_api, f"{BASE}/vms", host=vms[0].node)["count"] == sum(1 for v in vms if v.node == vms[0].node)


# -- bad input ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "params", "parameter"),
    [
        ("/nodes", {"status": "sleeping"}, "status"),
        ("/nodes", {"has_gpu": "maybe"}, "has_gpu"),
        ("/nodes", {"ordering": "-nonsense"}, "ordering"),
        ("/nodes", {"role": "Bad Role"}, "role"),
        ("/nodes", {"time": "yesterday"}, "time"),
        ("/nodes", {"bogus": "1"}, "bogus"),
        ("/nodes", {"cluster": "no such!"}, "cluster"),
        ("/nodes/summary", {"top": "0"}, "top"),
        ("/nodes/UPPER_case", {}, "name"),
        ("/nodes/seoul-a-gpu-00/power", {"window": "forever"}, "window"),
        ("/nodes/seoul-a-gpu-00/power", {"window": "10s"}, "window"),
        ("/pods", {"namespace": "Bad_NS"}, "namespace"),
        ("/pods", {"phase": "Sleeping"}, "phase"),
        ("/pods", {"min_power_watts": "lots"}, "min_power_watts"),
        ("/pods", {"ordering": "image"}, "ordering"),
        ("/pods/Bad_NS/x", {}, "namespace"),
        ("/pods/default/Bad_Pod", {}, "name"),
        ("/pods/default/x/power", {"window": "1y"}, "window"),
        ("/containers", {"pod": "a b"}, "pod"),
        ("/containers/default/x/Bad_C", {}, "container"),
        ("/vms/%20bad%20id", {}, "id"),
        ("/vms", {"host": "Bad_Host"}, "host"),
    ],
)
def test_bad_input_is_400_naming_the_parameter(staff_api, fleet_clusters, url, params, parameter, monkeypatch):
    from clusters.prometheus import client

    def no_promql(*args, **kwargs):  # validation must happen before any PromQL is sent
        raise AssertionError("a query was sent for bad input")

    monkeypatch.setattr(client.PrometheusClient, "query", no_promql)
    monkeypatch.setattr(client.PrometheusClient, "query_range", no_promql)
    _error(staff_api.get(f"{BASE}{url}", params), 400, parameter)


@pytest.mark.parametrize(
    "url",
    [
        "/nodes/no-such-node",
        "/nodes/no-such-node/power",
        "/nodes/no-such-node/metrics",
        "/pods/default/no-such-pod",
        "/pods/default/no-such-pod/power",
        "/containers/default/no-such-pod/main",
        "/vms/00000000-0000-0000-0000-000000000000",
    ],
)
def test_unknown_names_are_404(staff_api, fleet_clusters, url):
    _error(staff_api.get(f"{BASE}{url}"), 404)


def test_unknown_container_of_a_known_pod_is_404(staff_api, fleet_clusters, fleet_prometheus):
    pod = next(p for p in fleet_prometheus.fleet.cluster("seoul-a").pods if p.running)
    _error(staff_api.get(f"{BASE}/containers/{pod.namespace}/{pod.name}/nope", {"cluster": "seoul-a"}), 404)


def test_ambiguous_node_name_is_400_listing_clusters(staff_api, fleet_clusters):
    seoul = Cluster.objects.get(name="seoul-a")
    twin = Cluster(name="seoul-twin", prometheus_url=seoul.prometheus_url, timeout_seconds=10)
    twin.auth_type, twin.username, twin.password = seoul.auth_type, seoul.username, seoul.password
    twin.save()
    error = _error(staff_api.get(f"{BASE}/nodes/seoul-a-gpu-00"), 400)
    assert error["code"] == "ambiguous_name"
    assert error["details"]["clusters"] == ["seoul-a", "seoul-twin"] and error["details"]["parameter"] == "cluster"
    assert "seoul-a" in error["message"] and "seoul-twin" in error["message"]
    for url in ("", "/power", "/metrics"):
        assert staff_api.get(f"{BASE}/nodes/seoul-a-gpu-00{url}", {"cluster": "seoul-twin"}).status_code == 200
    # A name that exists only once needs no cluster.
    assert staff_api.get(f"{BASE}/nodes/busan-b-gpu-00").status_code == 200


def test_dead_cluster_degrades_lists_and_details(staff_api, fleet_clusters, fleet_prometheus):
    Cluster.objects.create(name="dead-z", prometheus_url=CLOSED_URL, timeout_seconds=2)
    for url in ("/nodes", "/nodes/summary", "/pods", "/pods/summary", "/containers", "/vms"):
        r = staff_api.get(f"{BASE}{url}")
        assert r.status_code == 200, (url, r.content)
        outcome = {c["name"]: c for c in r.json()["clusters"]}
        assert outcome["dead-z"]["status"] == "error" and outcome["dead-z"]["error"]
        assert outcome["seoul-a"]["status"] == "ok"
    assert get_all(staff_api, f"{BASE}/nodes")["count"] == len(fleet_prometheus.fleet.nodes)
    # Found elsewhere: fine; not found and a cluster silent: 503 naming it, not a guessed 404.
    assert staff_api.get(f"{BASE}/nodes/busan-b-gpu-00").status_code == 200
    error = _error(staff_api.get(f"{BASE}/nodes/no-such-node"), 503)
    assert [c["name"] for c in error["details"]["clusters"]] == ["dead-z"]


def test_scope_of_a_token(partner_user, token_client, fleet_clusters, fleet_prometheus):
    seoul = Cluster.objects.get(name="seoul-a")
    client = token_client(partner_user, clusters=[seoul])
    body = get_all(client, f"{BASE}/nodes")
    assert {r["cluster"] for r in body["results"]} == {"seoul-a"}
    assert [c["name"] for c in body["clusters"]] == ["seoul-a"]
    assert {r["cluster"] for r in get_all(client, f"{BASE}/pods")["results"]} == {"seoul-a"}
    assert client.get(f"{BASE}/nodes/busan-b-gpu-00").status_code == 404
    assert client.get(f"{BASE}/nodes", {"cluster": "busan-b"}).status_code == 404
    assert client.get(f"{BASE}/vms").json()["count"] == 0
    assert client.get(f"{BASE}/nodes/seoul-a-gpu-00").status_code == 200


def test_anonymous_is_refused(client, fleet_clusters):
    assert client.get(f"{BASE}/nodes").status_code in (401, 403)
