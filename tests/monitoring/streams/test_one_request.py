"""One PromQL request per cluster per poll, and the same numbers as the REST API and the fleet's truth.

The poll functions (:mod:`monitoring.streams.sources`) are called directly at an
explicit instant, so the stream's numbers can be compared with
``/api/v1/monitoring/power`` and ``/api/v1/accelerators/gpus`` at the same instant
and with the simulator's ground truth; requests are counted where they arrive:
each Prometheus server's own ``prometheus_http_requests_total``.
"""

from __future__ import annotations

import math
import time

import pytest
import requests

from monitoring.streams import sources
from monitoring.streams.topics import Topic
from tests.infrastructure.helpers import history_time, rate_truth

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db]

POWER = "/api/v1/monitoring/power"
GPUS = "/api/v1/accelerators/gpus"
PARTS = ("cpu", "dram", "gpu", "npu")
TYPES = (*PARTS, "other")


def _same(a, b) -> bool:
    """Equal up to float summation order (the stream and the API add the same numbers)."""
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


def _near(a, b, rel: float = 0.01) -> bool:
    """Within 1 % of the truth."""
    return a is not None and b is not None and math.isclose(a, b, rel_tol=rel, abs_tol=1e-6)


def _topic(clusters, group_by: str = "cluster", kind: str = "power") -> Topic:
    return Topic(kind=kind, clusters=tuple(sorted(c.name for c in clusters)), interval_seconds=5, group_by=group_by)


def _poll(clusters, at: float, group_by: str) -> dict:
    messages = sources.poll(_topic(clusters, group_by), clusters, at)
    assert [m["type"] for m in messages] == ["power"], messages
    return messages[0]


def _cluster_truth(fp, cluster: str, t: float) -> dict:
    """IT power and parts of one cluster at ``t``; Kepler 0.7 CPU/DRAM are 2 min rates of counters."""
    out = dict.fromkeys(("power", *PARTS), 0.0)
    k07 = fp.fleet.cluster(cluster).kepler_generation == "0.7"
    for node in fp.fleet.cluster(cluster).nodes:
        truth = fp.truth.node_power(cluster, node.name, t)
        if not truth["up"]:
            continue
        parts = {p: truth[f"{p}_power_watts"] for p in PARTS}
        if k07:
            parts["cpu"] = rate_truth(fp.truth, "node_cpu", (cluster, node.name), t)
            parts["dram"] = rate_truth(fp.truth, "node_dram", (cluster, node.name), t)
        for p in PARTS:
            out[p] += parts[p]
        measured = truth["measured_power_watts"]
        out["power"] += measured if measured is not None else sum(parts.values())
    return out


def test_the_fleet_covers_both_kepler_generations_and_a_global_querier(fleet_clusters, fleet_prometheus):
    assert {c.kepler_generation for c in fleet_prometheus.fleet.clusters} == {"0.7", "0.10"}
    assert any(c.label_selector for c in fleet_clusters) and any(not c.label_selector for c in fleet_clusters)


def test_power_poll_equals_the_power_api_and_the_truth(staff_api, fleet_clusters, fleet_prometheus):
    fp = fleet_prometheus
    t = int(history_time(fp.fleet))
    api = staff_api.get(POWER, {"time": t}).json()
    by_cluster = {r["cluster"]: r for r in api["by_cluster"]}

    message = _poll(fleet_clusters, float(t), "cluster")
    assert message["timestamp"] == api["timestamp"]
    assert set(message["groups"]) == set(by_cluster)
    for name, watts in message["groups"].items():
        assert _same(watts, by_cluster[name]["power_watts"]), name
        assert _near(watts, _cluster_truth(fp, name, t)["power"]), name
    assert _same(message["total_power_watts"], api["total_power_watts"])

    typed = _poll(fleet_clusters, float(t), "resource_type")
    # Whatever the grouping, each cluster entry carries its own IT power.
    for entry in (*message["clusters"], *typed["clusters"]):
        assert entry["status"] == "ok" and _same(entry["power_watts"], by_cluster[entry["name"]]["power_watts"])
    by_type = {r["resource_type"]: r["power_watts"] for r in api["by_resource_type"]}
    assert set(typed["groups"]) == set(TYPES)
    for part in TYPES:
        assert _same(typed["groups"][part], by_type[part]), part
    truth = [_cluster_truth(fp, c.name, t) for c in fleet_clusters]
    for part in PARTS:
        assert _near(typed["groups"][part], sum(x[part] for x in truth)), part
    assert _same(typed["total_power_watts"], api["total_power_watts"])


def test_power_poll_now_equals_the_power_api_now(staff_api, fleet_clusters):
    """Live data (the last scrapes, a stopped node): the same instant gives the same answer."""
    t = int(time.time()) - 1
    message = _poll(fleet_clusters, float(t), "cluster")
    api = staff_api.get(POWER, {"time": t}).json()
    for row in api["by_cluster"]:
        assert _same(message["groups"][row["cluster"]], row["power_watts"]), row["cluster"]
        assert row["nodes_reporting"] <= row["nodes"]
    typed = _poll(fleet_clusters, float(t), "resource_type")
    for row in api["by_resource_type"]:
        assert _same(typed["groups"][row["resource_type"]], row["power_watts"]), row["resource_type"]


def test_gpus_poll_equals_the_gpu_list(staff_api, fleet_clusters, fleet_prometheus):
    t = int(history_time(fleet_prometheus.fleet))
    topic = _topic(fleet_clusters, "", kind="gpus")
    message = sources.poll(topic, fleet_clusters, float(t))[0]
    api = staff_api.get(GPUS, {"time": t, "page_size": 1000})
    assert api.status_code == 200, api.content
    rows = {r["uuid"]: r for r in api.json()["results"]}
    streamed = {r["uuid"]: r for r in message["gpus"]}
    assert streamed and set(streamed) == set(rows)
    for uuid, row in streamed.items():
        assert row == rows[uuid], uuid
        truth = fleet_prometheus.truth.gpu(uuid, t)
        assert _near(row["power_watts"], truth["power_watts"]), uuid


# -- requests reaching Prometheus ----------------------------------------------------------
def _servers(fp) -> list[tuple[str, tuple[str, str] | None]]:
    """Each distinct Prometheus the registered clusters reach (the global querier once), with its auth."""
    seen: dict[str, tuple[str, str] | None] = {}
    for endpoint in fp.deployment.registry():
        auth = (endpoint.username, endpoint.password) if endpoint.password else None
        seen.setdefault(endpoint.url, auth)
    return list(seen.items())


def _queries_served(fp) -> float:
    """Instant queries answered so far by every Prometheus of the fleet (their own counters)."""
    total = 0.0
    for url, auth in _servers(fp):
        body = requests.get(f"{url.rstrip('/')}/metrics", auth=auth, timeout=10).text
        for line in body.splitlines():
            if line.startswith("prometheus_http_requests_total{") and 'handler="/api/v1/query"' in line:
                total += float(line.rsplit(" ", 1)[1])
    return total


def _count_requests(fp, run) -> float:
    before = _queries_served(fp)
    run()
    # A server counts a request just after writing its answer: read until the count holds still
    # (it only grows, so an extra request cannot hide; a late one is waited for, up to 10 s).
    last, deadline = _queries_served(fp), time.monotonic() + 10
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = _queries_served(fp)
        if now == last:
            break
        last = now
    return last - before


@pytest.mark.parametrize(("kind", "group_by"), [("power", "cluster"), ("power", "resource_type"), ("gpus", "")])
def test_one_request_per_cluster_per_poll(fleet_clusters, fleet_prometheus, kind, group_by):
    fp = fleet_prometheus
    topic = _topic(fleet_clusters, group_by, kind=kind)
    for poll in range(3):
        at = float(int(time.time()) - poll)  # a new instant every poll: nothing may come from a cache
        messages: list[dict] = []
        served = _count_requests(fp, lambda at=at, out=messages: out.extend(sources.poll(topic, fleet_clusters, at)))
        assert messages[0]["type"] == kind and all(c["status"] == "ok" for c in messages[0]["clusters"])
        assert served == len(fleet_clusters), (kind, group_by, served)
