"""``/monitoring/power`` and ``/monitoring/power/breakdown``: the fleet now, adding up."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.monitoring.helpers import BREAKDOWN, POWER, close, get, set_economics

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db]

NODES = "/api/v1/infrastructure/nodes"
TYPES = ("gpu", "npu", "cpu", "dram", "other")


def history_time(fleet) -> int:
    """Inside the backfilled history, every node reporting (see tests/infrastructure/helpers.py)."""
    return int(fleet.epoch + 26 * 3600 - 1800)


def test_fleet_power_is_the_nodes_power_and_adds_up(staff_api, fleet_clusters, fleet_prometheus):
    fp = fleet_prometheus
    t = history_time(fp.fleet)
    body = staff_api.get(POWER, {"time": t}).json()
    nodes = get(staff_api, NODES, time=t)["results"]
    assert body["total_power_watts"] == pytest.approx(sum(n["power_watts"] for n in nodes))
    assert body["total_power_watts"] == pytest.approx(sum(r["power_watts"] for r in body["by_cluster"]))
    by_type = {r["resource_type"]: r["power_watts"] for r in body["by_resource_type"]}
    assert set(by_type) == set(TYPES)
    assert sum(by_type.values()) == pytest.approx(body["total_power_watts"])
    assert sum(r["share_percent"] for r in body["by_resource_type"]) == pytest.approx(100.0)
    # GPU and NPU power are gauges: exactly the truth at the sample instant; DCMI wall power likewise.
    truth = {c.name: fp.truth.cluster_power(c.name, t) for c in fp.fleet.clusters}
    for row in body["by_cluster"]:
        expected = truth[row["cluster"]]
        assert close(row["gpu_power_watts"], expected["gpu_power_watts"])
        assert close(row["npu_power_watts"], expected["npu_power_watts"])
        assert row["nodes"] == expected["nodes"] and row["nodes_reporting"] == expected["nodes_up"]
        parts = sum(row[f"{p}_power_watts"] for p in TYPES)
        assert parts == pytest.approx(row["power_watts"])
    assert body["timestamp"].endswith("Z") and body["partial"] is False


def test_configured_pue_gives_facility_power_and_rates(staff_api, fleet_clusters, fleet_prometheus):
    set_economics(
        fleet_clusters, design_pue=1.5, carbon_intensity_g_per_kwh=400.0, electricity_price_per_kwh=Decimal("150")
    )
    body = staff_api.get(POWER, {"time": history_time(fleet_prometheus.fleet)}).json()
    for row in body["by_cluster"]:
        assert row["pue"] == 1.5 and row["pue_source"] == "configured"
        assert row["facility_power_watts"] == pytest.approx(row["power_watts"] * 1.5)
        assert row["carbon_grams_per_hour"] == pytest.approx(row["power_watts"] / 1000 * 1.5 * 400.0)
        assert row["cost_per_hour"] == pytest.approx(row["power_watts"] / 1000 * 1.5 * 150.0)
    assert body["facility_power_watts"] == pytest.approx(body["total_power_watts"] * 1.5)
    assert body["pue"] == pytest.approx(1.5)


def test_measured_pue_is_facility_over_it_power(staff_api, fleet_clusters, fleet_prometheus):
    cluster = fleet_clusters[0]
    cluster.facility_power_query = "vector(1500)"
    cluster.save()
    body = staff_api.get(POWER, {"time": history_time(fleet_prometheus.fleet)}).json()
    rows = {r["cluster"]: r for r in body["by_cluster"]}
    row = rows[cluster.name]
    assert row["pue_source"] == "measured" and row["facility_power_watts"] == pytest.approx(1500.0)
    assert row["pue"] == pytest.approx(1500.0 / row["power_watts"])
    others = [r for name, r in rows.items() if name != cluster.name]
    assert all(r["pue_source"] == "unavailable" and r["facility_power_watts"] is None for r in others)
    assert body["facility_power_watts"] is None  # not every cluster has a PUE: no fleet figure is invented


def test_a_dead_cluster_makes_power_partial(staff_api, fleet_clusters, make_cluster):
    make_cluster("dead-cluster")
    body = staff_api.get(POWER).json()
    assert body["partial"] is True and body["missing_clusters"] == ["dead-cluster"]
    assert {c["name"]: c["status"] for c in body["clusters"]}["dead-cluster"] == "error"
    assert body["total_power_watts"] > 0


@pytest.mark.parametrize("by", ["cluster", "node", "namespace", "pod", "resource_type", "vendor", "model"])
def test_breakdown_rows_add_up_to_the_total(staff_api, fleet_clusters, fleet_prometheus, by):
    t = history_time(fleet_prometheus.fleet)
    body = get(staff_api, BREAKDOWN, by=by, window="1h", time=t)
    rows, totals = body["results"], body["totals"]
    kinds = [r["kind"] for r in rows]
    assert kinds.count("idle") == 1 and kinds.count("unattributed") == 1
    assert all(by in r for r in rows)
    assert sum(r["power_watts"] for r in rows) == pytest.approx(totals["power_watts"])
    assert sum(r["energy_kwh"] for r in rows) == pytest.approx(totals["energy_kwh"])
    assert sum(r["share_percent"] for r in rows) == pytest.approx(100.0)
    fleet_power = staff_api.get(POWER, {"time": t}).json()["total_power_watts"]
    assert totals["power_watts"] == pytest.approx(fleet_power)
    assert totals["window_seconds"] == 3600
    if by in ("namespace", "pod"):
        idle = next(r for r in rows if r["kind"] == "idle")
        assert idle["power_watts"] > 0 and idle["energy_kwh"] > 0


def test_breakdown_bad_input(staff_api, db):
    for params, parameter in (({"by": "planet"}, "by"), ({"window": "2x"}, "window"), ({"window": "1m"}, "window")):
        response = staff_api.get(BREAKDOWN, params)
        assert response.status_code == 400
        assert response.json()["error"]["details"]["parameter"] == parameter
    assert staff_api.get(POWER, {"cluster": "nowhere"}).status_code == 404
    assert staff_api.get(POWER, {"bogus": "1"}).status_code == 400


def test_a_dead_cluster_makes_the_breakdown_partial(staff_api, fleet_clusters, make_cluster):
    make_cluster("dead-cluster")
    body = get(staff_api, BREAKDOWN, by="namespace", window="1h")
    assert body["totals"]["partial"] is True and body["totals"]["missing_clusters"] == ["dead-cluster"]
    # Now, the stopped node's pods have energy in the window but no power: null, not 0.
    assert sum(r["power_watts"] or 0.0 for r in body["results"]) == pytest.approx(body["totals"]["power_watts"])
