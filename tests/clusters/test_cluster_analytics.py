"""``/clusters/{name}/summary`` and ``/clusters/compare`` against the real Prometheus fixture."""

from __future__ import annotations

from decimal import Decimal

import pytest

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db]

COMPARE = "/api/v1/clusters/compare"


def summary_url(name: str) -> str:
    return f"/api/v1/clusters/{name}/summary"


def test_summary_counts_and_power(staff_api, fleet_clusters, fleet_prometheus):
    fp = fleet_prometheus
    cluster = fleet_clusters[0]
    cluster.design_pue, cluster.carbon_intensity_g_per_kwh = 1.3, 430.0
    cluster.electricity_price_per_kwh = Decimal("168.5")
    cluster.save()
    response = staff_api.get(summary_url(cluster.name))
    assert response.status_code == 200, response.content
    body = response.json()
    sim = fp.fleet.cluster(cluster.name)
    assert body["nodes"]["total"] == len(sim.nodes)
    assert body["nodes"]["ready"] <= body["nodes"]["total"]
    gpus = sum(len(n.gpus) for n in sim.nodes)
    npus = sum(len(n.npus) for n in sim.nodes)
    assert body["gpus"]["total"] == gpus and sum(body["gpus"][k] for k in ("active", "idle", "unavailable")) == gpus
    assert body["npus"]["total"] == npus and sum(body["npus"][k] for k in ("active", "idle", "unavailable")) == npus
    assert body["running_pods"] == sum(1 for p in sim.pods if p.running)
    assert body["it_power_watts"] > 0
    assert body["pue"] == 1.3 and body["pue_source"] == "configured"
    assert body["facility_power_watts"] == pytest.approx(body["it_power_watts"] * 1.3)
    assert body["carbon_grams_per_hour"] == pytest.approx(body["it_power_watts"] / 1000 * 1.3 * 430.0)
    assert body["cost_per_hour"] == pytest.approx(body["it_power_watts"] / 1000 * 1.3 * 168.5)
    assert body["currency"] == "KRW"
    assert sum(body["power_by_resource_type"].values()) == pytest.approx(body["it_power_watts"])
    assert body["prometheus"]["status"] == "ok" and body["prometheus"]["name"] == cluster.name


def test_summary_of_a_dead_cluster_says_so(staff_api, make_cluster):
    make_cluster("dead-cluster")
    response = staff_api.get(summary_url("dead-cluster"))
    assert response.status_code == 200
    body = response.json()
    assert body["prometheus"]["status"] == "error" and body["prometheus"]["error"]
    assert body["it_power_watts"] is None and body["nodes"] is None


def test_summary_unknown_or_out_of_scope_is_404(staff_api, token_client, partner_user, make_cluster):
    visible = make_cluster("visible-one")
    make_cluster("hidden-one")
    assert staff_api.get(summary_url("nowhere")).status_code == 404
    api = token_client(partner_user, clusters=[visible])
    assert api.get(summary_url("hidden-one")).status_code == 404
    assert staff_api.get(summary_url("visible-one"), {"bogus": 1}).status_code == 400


def test_compare_every_cluster_side_by_side(staff_api, fleet_clusters, fleet_prometheus, make_cluster):
    for c in fleet_clusters:
        c.design_pue, c.carbon_intensity_g_per_kwh, c.electricity_price_per_kwh = 1.2, 400.0, Decimal("100")
        c.save()
    make_cluster("dead-cluster")
    response = staff_api.get(COMPARE, {"window": "1h"})
    assert response.status_code == 200, response.content
    body = response.json()
    rows = {r["cluster"]: r for r in body["results"]}
    assert set(rows) == {c.name for c in fleet_clusters} | {"dead-cluster"}
    assert rows["dead-cluster"]["status"] == "error"
    for c in fleet_clusters:
        row = rows[c.name]
        assert row["status"] == "ok" and row["power_watts"] > 0 and row["energy_kwh"] > 0
        assert row["pue"] == 1.2 and row["pue_source"] == "configured"
        assert row["carbon_grams"] == pytest.approx(row["energy_kwh"] * 1.2 * 400.0)
        assert row["cost"] == pytest.approx(row["energy_kwh"] * 1.2 * 100.0)
        assert 0 <= row["idle_gpu_share_percent"] <= 100
        assert row["gpu_utilization_percent"] is not None
    assert body["window_seconds"] == 3600


def test_compare_is_not_a_cluster_name_and_validates(staff_api, db):
    response = staff_api.get(COMPARE)
    assert response.status_code == 200 and response.json()["results"] == []
    bad = staff_api.get(COMPARE, {"window": "forever"})
    assert bad.status_code == 400 and bad.json()["error"]["details"]["parameter"] == "window"
    assert staff_api.get(COMPARE, {"cluster": "nowhere"}).status_code == 404


@pytest.mark.parametrize("by", ["node", "namespace", "resource_type", "vendor", "model"])
def test_cluster_power_breakdown_adds_up(staff_api, fleet_clusters, by):
    cluster = fleet_clusters[0]
    response = staff_api.get(f"/api/v1/clusters/{cluster.name}/power", {"breakdown_by": by, "window": "1h"})
    assert response.status_code == 200, response.content
    body = response.json()
    rows, total = body["results"], body["totals"]["power_watts"]
    assert {r["kind"] for r in rows} >= {"idle", "unattributed"}
    assert sum(r["power_watts"] or 0.0 for r in rows) == pytest.approx(total)
    assert sum(r["energy_kwh"] or 0.0 for r in rows) == pytest.approx(body["totals"]["energy_kwh"])
    summary = staff_api.get(summary_url(cluster.name)).json()
    assert total == pytest.approx(summary["it_power_watts"], rel=0.05)  # both now, maybe one live sample apart


def test_cluster_power_bad_input(staff_api, fleet_clusters):
    name = fleet_clusters[0].name
    bad = staff_api.get(f"/api/v1/clusters/{name}/power", {"breakdown_by": "pod"})
    assert bad.status_code == 400 and bad.json()["error"]["details"]["parameter"] == "breakdown_by"
    assert staff_api.get("/api/v1/clusters/nowhere/power").status_code == 404
