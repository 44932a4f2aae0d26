"""``/monitoring/energy`` against the fleet's analytic truth."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.monitoring.helpers import ENERGY, J_PER_KWH, PARTS, close, get, set_economics, window_end

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db]


@pytest.mark.parametrize("hours", [1, 6, 24])
def test_namespace_energy_equals_truth(staff_api, fleet_clusters, fleet_prometheus, hours):
    fp = fleet_prometheus
    end = window_end(fp.fleet)
    start = end - hours * 3600
    body = get(staff_api, ENERGY, start=int(start), end=int(end), group_by="namespace")
    assert all(c["status"] == "ok" for c in body["clusters"]), body["clusters"]
    rows = {(r["cluster"], r["namespace"]): r for r in body["results"] if not r["idle"]}
    expected_keys = {(c.name, p.namespace) for c in fp.fleet.clusters for p in c.pods if p.running}
    assert set(rows) == expected_keys
    for (cluster, ns), row in rows.items():
        # NPU power is a gauge: compare with its scraped integral (demo/truth.py says why).
        truth = fp.truth.namespace_energy_kwh(cluster, ns, start, end, scraped=True)
        for part in PARTS:
            assert close(row[f"{part}_energy_kwh"], truth[part]), (cluster, ns, part, row, truth)
        assert close(row["energy_kwh"], truth["total"]), (cluster, ns)


def _rows(api, end: float, hours: int = 1, **params) -> dict:
    return get(api, ENERGY, start=int(end - hours * 3600), end=int(end), **params)


def test_node_rows_and_their_idle_rows_equal_node_truth(staff_api, fleet_clusters, fleet_prometheus):
    fp = fleet_prometheus
    end = window_end(fp.fleet)
    body = _rows(staff_api, end, group_by="node", idle="node")
    sums: dict = {}
    for row in body["results"]:
        key = (row["cluster"], row["node"])
        for part in PARTS:
            sums.setdefault(key, dict.fromkeys(PARTS, 0.0))[part] += row[f"{part}_energy_kwh"] or 0.0
    assert set(sums) == set(fp.fleet.nodes)
    for key, parts in sums.items():
        for part in PARTS:
            expected = fp.truth.energy_joules(f"node_{part}", key, end - 3600, end, scraped=True) / J_PER_KWH
            assert close(parts[part], expected), (key, part, parts[part], expected)
    # Idle CPU energy is at least the nodes' idle power over the window (plus non-pod processes).
    for row in body["results"]:
        if row["idle"]:
            node = fp.fleet.nodes[(row["cluster"], row["node"])]
            assert row["cpu_energy_kwh"] >= node.cpu_idle_watts * 3600 / J_PER_KWH * 0.99


def test_mig_and_partition_pods_get_their_share(staff_api, fleet_clusters, fleet_prometheus):
    fp = fleet_prometheus
    end = window_end(fp.fleet)
    rows = {(r["cluster"], r["namespace"], r["pod"]): r for r in _rows(staff_api, end, group_by="pod")["results"]}
    mig = next(g for g in fp.fleet.gpus.values() if g.mig)
    card = next(x for x in fp.fleet.npus.values() if x.partitions)
    pods = [(mig.cluster, i.pod) for i in mig.mig if i.pod] + [(card.cluster, p.pod) for p in card.partitions]
    assert len(pods) == 4
    for cluster, pod in pods:
        key = (cluster, pod.namespace, pod.name)
        for part in PARTS:
            expected = fp.truth.energy_joules(f"pod_{part}", key, end - 3600, end, scraped=True) / J_PER_KWH
            assert close(rows[key][f"{part}_energy_kwh"], expected), (key, part)
        assert rows[key]["node"] == pod.node


def test_every_group_by_has_the_same_totals(staff_api, fleet_clusters, fleet_prometheus):
    end = window_end(fleet_prometheus.fleet)
    totals = {g: _rows(staff_api, end, group_by=g)["totals"] for g in ("cluster", "namespace", "node", "pod")}
    first = totals["cluster"]
    for group_by, t in totals.items():
        for key in ("cpu_energy_kwh", "dram_energy_kwh", "gpu_energy_kwh", "npu_energy_kwh", "energy_kwh"):
            assert t[key] == pytest.approx(first[key], rel=1e-9), (group_by, key)
        assert t["partial"] is False and t["missing_clusters"] == []
    # Totals are the sum of the rows.
    body = _rows(staff_api, end, group_by="pod")
    assert body["totals"]["energy_kwh"] == pytest.approx(sum(r["energy_kwh"] for r in body["results"]))
    assert body["count"] == len(body["results"])


def test_idle_share_conserves_energy(staff_api, fleet_clusters, fleet_prometheus):
    end = window_end(fleet_prometheus.fleet)
    node = _rows(staff_api, end, group_by="namespace", idle="node")
    share = _rows(staff_api, end, group_by="namespace", idle="share")
    for key in ("cpu_energy_kwh", "dram_energy_kwh", "gpu_energy_kwh", "npu_energy_kwh", "energy_kwh"):
        assert share["totals"][key] == pytest.approx(node["totals"][key], rel=1e-9), key
    idle_node = [r for r in node["results"] if r["idle"]]
    idle_share = [r for r in share["results"] if r["idle"]]
    assert idle_node and len(idle_share) < len(idle_node)  # only nodes without pod energy keep idle rows
    by_ns = {(r["cluster"], r["namespace"]): r for r in node["results"] if not r["idle"]}
    for row in share["results"]:
        if not row["idle"]:
            before = by_ns[(row["cluster"], row["namespace"])]
            assert row["energy_kwh"] >= before["energy_kwh"]  # each namespace took its part of idle energy
    per_cluster = {}
    for body in (node, share):
        for row in body["results"]:
            per_cluster.setdefault((id(body), row["cluster"]), 0.0)
            per_cluster[(id(body), row["cluster"])] += row["energy_kwh"]
    for cluster in {r["cluster"] for r in node["results"]}:
        assert per_cluster[(id(share), cluster)] == pytest.approx(per_cluster[(id(node), cluster)], rel=1e-9)


def test_configured_pue_carbon_and_cost_follow_the_formulas(staff_api, fleet_clusters, fleet_prometheus):
    set_economics(
        fleet_clusters, design_pue=1.4, carbon_intensity_g_per_kwh=430.0, electricity_price_per_kwh=Decimal("168.5")
    )
    end = window_end(fleet_prometheus.fleet)
    body = _rows(staff_api, end, group_by="namespace")
    for row in body["results"]:
        kwh = row["energy_kwh"]
        assert row["pue"] == 1.4 and row["pue_source"] == "configured"
        assert row["facility_energy_kwh"] == pytest.approx(kwh * 1.4)
        assert row["carbon_grams"] == pytest.approx(kwh * 1.4 * 430.0)
        assert row["cost"] == pytest.approx(kwh * 1.4 * 168.5)
        assert row["currency"] == "KRW"
    t = body["totals"]
    assert t["carbon_grams"] == pytest.approx(t["energy_kwh"] * 1.4 * 430.0)
    assert t["cost"] == pytest.approx(t["energy_kwh"] * 1.4 * 168.5) and t["currency"] == "KRW"


def test_without_pue_money_is_null_not_invented(staff_api, fleet_clusters, fleet_prometheus):
    set_economics(fleet_clusters, design_pue=None, carbon_intensity_g_per_kwh=430.0, facility_power_query="")
    body = _rows(staff_api, window_end(fleet_prometheus.fleet), group_by="cluster")
    for row in body["results"]:
        assert row["pue"] is None and row["pue_source"] == "unavailable"
        assert row["facility_energy_kwh"] is None and row["carbon_grams"] is None and row["cost"] is None
    assert body["totals"]["carbon_grams"] is None and body["totals"]["energy_kwh"] > 0


def _it_joules(fp, cluster: str, start: float, end: float) -> float:
    """A cluster's IT energy as the service defines it: DCMI wall energy where measured, else the parts."""
    total = 0.0
    for n in fp.fleet.cluster(cluster).nodes:
        key = (cluster, n.name)
        if n.has_dcmi:
            total += fp.truth.energy_joules("node_wall", key, start, end)
        else:
            total += sum(fp.truth.energy_joules(f"node_{p}", key, start, end, scraped=True) for p in PARTS)
    return total


def test_measured_pue_from_the_facility_query(staff_api, fleet_clusters, fleet_prometheus):
    fp = fleet_prometheus
    own = next(c for c in fleet_clusters if not c.label_selector)
    shared = next(c for c in fleet_clusters if c.label_selector)
    # A real PromQL over the fleet's series (the cluster's own server), and a constant one.
    own.facility_power_query = "sum(ipmi_dcmi_power_consumption_watts) * 1.3"
    own.design_pue = 1.9  # ignored: the measurement wins
    own.save()
    shared.facility_power_query = "vector(1500)"
    shared.save()
    end = window_end(fp.fleet)
    start = end - 3600
    rows = {r["cluster"]: r for r in _rows(staff_api, end, group_by="cluster")["results"] if not r["idle"]}
    it_w = {c: _it_joules(fp, c, start, end) / 3600 for c in (own.name, shared.name)}
    dcmi_w = sum(
        fp.truth.energy_joules("node_wall", (own.name, n.name), start, end) / 3600
        for n in fp.fleet.cluster(own.name).nodes
        if n.has_dcmi
    )
    assert rows[own.name]["pue_source"] == "measured"
    assert close(rows[own.name]["pue"], 1.3 * dcmi_w / it_w[own.name])
    assert rows[shared.name]["pue_source"] == "measured"
    assert close(rows[shared.name]["pue"], 1500 / it_w[shared.name])
    for name in (own.name, shared.name):
        assert rows[name]["facility_energy_kwh"] == pytest.approx(rows[name]["energy_kwh"] * rows[name]["pue"])


def test_a_broken_facility_query_falls_back_to_the_design_pue(staff_api, fleet_clusters, fleet_prometheus):
    cluster = fleet_clusters[0]
    cluster.facility_power_query = "sum(no_such_metric_anywhere)"
    cluster.design_pue = 1.25
    cluster.save()
    body = _rows(staff_api, window_end(fleet_prometheus.fleet), group_by="cluster", cluster=cluster.name)
    assert body["clusters"][0]["status"] == "ok"
    assert {(r["pue"], r["pue_source"]) for r in body["results"]} == {(1.25, "configured")}


def test_a_dead_cluster_gives_partial_totals(staff_api, fleet_clusters, fleet_prometheus, make_cluster):
    make_cluster("dead-cluster")
    body = _rows(staff_api, window_end(fleet_prometheus.fleet), group_by="namespace")
    outcomes = {c["name"]: c for c in body["clusters"]}
    assert outcomes["dead-cluster"]["status"] == "error" and outcomes["dead-cluster"]["error"]
    assert all(c["status"] == "ok" for name, c in outcomes.items() if name != "dead-cluster")
    assert body["totals"]["partial"] is True and body["totals"]["missing_clusters"] == ["dead-cluster"]
    assert "dead-cluster" not in {r["cluster"] for r in body["results"]}
    assert body["totals"]["energy_kwh"] > 0


def test_global_querier_gives_the_same_numbers_as_own_servers(
    staff_api, fleet_clusters, fleet_prometheus, make_cluster
):
    fp = fleet_prometheus
    shared = [c for c in fleet_clusters if c.label_selector]
    assert len(shared) == 2
    for c in shared:
        make_cluster(f"{c.name}-own", url=fp.endpoint(c.name).url, timeout_seconds=10.0)
    end = window_end(fp.fleet)
    for group_by in ("namespace", "pod", "node"):
        body = _rows(staff_api, end, group_by=group_by)
        rows: dict = {}
        for r in body["results"]:
            key = tuple(v for k, v in r.items() if k in ("namespace", "pod", "node", "idle"))
            rows[(r["cluster"], key)] = r
        for c in shared:
            mine = {k[1]: r for k, r in rows.items() if k[0] == c.name}
            own = {k[1]: r for k, r in rows.items() if k[0] == f"{c.name}-own"}
            assert mine and set(mine) == set(own), (group_by, c.name)
            for key, row in mine.items():
                for field in ("cpu_energy_kwh", "dram_energy_kwh", "gpu_energy_kwh", "npu_energy_kwh"):
                    assert row[field] == pytest.approx(own[key][field], rel=1e-9, abs=1e-12), (key, field)


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"start": "2026-01-02T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "start"),
        ({"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "start"),
        ({"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T00:01:00Z"}, "start"),
        ({"group_by": "galaxy"}, "group_by"),
        ({"idle": "sometimes"}, "idle"),
        ({"start": "yesterday"}, "start"),
        ({"step": "30s"}, "step"),
        ({"cluster": "bad name!"}, "cluster"),
    ],
)
def test_bad_input_is_a_400_naming_the_parameter(staff_api, db, params, parameter):
    response = staff_api.get(ENERGY, params)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["details"]["parameter"] == parameter


def test_unknown_cluster_is_a_404(staff_api, db):
    response = staff_api.get(ENERGY, {"cluster": "nowhere"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_scoped_token_sees_only_its_clusters(token_client, partner_user, fleet_clusters, fleet_prometheus):
    api = token_client(partner_user, clusters=[fleet_clusters[0]])
    body = get(
        api, ENERGY, start=int(window_end(fleet_prometheus.fleet) - 3600), end=int(window_end(fleet_prometheus.fleet))
    )
    assert {r["cluster"] for r in body["results"]} == {fleet_clusters[0].name}
    assert api.get(ENERGY, {"cluster": fleet_clusters[1].name}).status_code == 404
