"""``/monitoring/timeseries/power``: series equal the power-now answers at their timestamps, and add up."""

from __future__ import annotations

import pytest

from tests.monitoring.helpers import POWER, get, window_end

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db]

SERIES = "/api/v1/monitoring/timeseries/power"
PODS = "/api/v1/infrastructure/pods"
NODES = "/api/v1/infrastructure/nodes"
STEP = 120  # = the live endpoints' 2 min rate window, so Kepler 0.7 values coincide exactly


def _series(api, **params) -> dict:
    end = int(window_end(api.fleet.fleet))
    return get(api, SERIES, start=end - 1800, end=end, step=f"{STEP}s", **params)


@pytest.fixture
def api(staff_api, fleet_clusters, fleet_prometheus):
    staff_api.fleet = fleet_prometheus
    return staff_api


def _at(body: dict, index: int) -> int:
    from django.utils.dateparse import parse_datetime

    return int(parse_datetime(body["timestamps"][index]).timestamp())


def test_cluster_series_equal_power_now(api):
    body = _series(api, group_by="cluster")
    assert body["step_seconds"] == STEP and len(body["timestamps"]) == 1800 // STEP + 1
    for index in (0, 7, len(body["timestamps"]) - 1):
        now = api.get(POWER, {"time": _at(body, index)}).json()
        expected = {r["cluster"]: r["power_watts"] for r in now["by_cluster"]}
        for row in body["results"]:
            assert row["power_watts"][index] == pytest.approx(expected[row["cluster"]], rel=1e-9)
        assert body["totals"]["power_watts"][index] == pytest.approx(now["total_power_watts"], rel=1e-9)


def test_node_series_equal_node_power(api):
    body = _series(api, group_by="node")
    index = 3
    nodes = get(api, NODES, time=_at(body, index))["results"]
    expected = {(n["cluster"], n["name"]): n["power_watts"] for n in nodes}
    got = {(r["cluster"], r["node"]): r["power_watts"][index] for r in body["results"]}
    assert set(got) == set(expected)
    for key, value in got.items():
        assert value == pytest.approx(expected[key], rel=1e-9), key


def test_resource_types_add_up(api):
    clusters = _series(api, group_by="cluster")["totals"]["power_watts"]
    body = _series(api, group_by="resource_type")
    assert {r["resource_type"] for r in body["results"]} == {"gpu", "npu", "cpu", "dram", "other"}
    for index, total in enumerate(clusters):
        assert sum(r["power_watts"][index] for r in body["results"]) == pytest.approx(total, rel=1e-9)


def test_namespace_series_equal_pod_power_and_add_up(api):
    body = _series(api, group_by="namespace")
    clusters = {r["cluster"]: r["power_watts"] for r in _series(api, group_by="cluster")["results"]}
    per_cluster: dict = {}
    for row in body["results"]:
        values = per_cluster.setdefault(row["cluster"], [0.0] * len(body["timestamps"]))
        for i, v in enumerate(row["power_watts"]):
            values[i] += v or 0.0
    for cluster, values in per_cluster.items():
        assert values == pytest.approx(clusters[cluster], rel=1e-9)
    index = 5
    pods = get(api, PODS, time=_at(body, index))["results"]
    expected: dict = {}
    for p in pods:
        if p["phase"] == "Running" and p["power_watts"] is not None:
            key = (p["cluster"], p["namespace"])
            expected[key] = expected.get(key, 0.0) + p["power_watts"]
    got = {(r["cluster"], r["namespace"]): r["power_watts"][index] for r in body["results"]}
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-9), key
    assert all(got[(c, "__idle__")] > 0 for c in clusters)


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"step": "10s"}, "step"),
        ({"start": "2026-01-01T00:00:00Z", "end": "2026-01-05T00:00:00Z", "step": "30s"}, "step"),
        ({"start": "2026-01-02T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "start"),
        ({"group_by": "pod"}, "group_by"),
        ({"window": "1h"}, "window"),
    ],
)
def test_bad_input(staff_api, db, params, parameter):
    response = staff_api.get(SERIES, params)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["details"]["parameter"] == parameter


def test_a_dead_cluster_makes_the_series_partial(api, make_cluster):
    make_cluster("dead-cluster")
    body = _series(api, group_by="cluster")
    assert body["totals"]["partial"] is True and body["totals"]["missing_clusters"] == ["dead-cluster"]
    assert {c["name"]: c["status"] for c in body["clusters"]}["dead-cluster"] == "error"
    assert "dead-cluster" not in {r["cluster"] for r in body["results"]}
