"""``/metrics/fleet``: the API's numbers in the Prometheus text format, at the cost of one ``/monitoring/power``."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.monitoring.helpers import BREAKDOWN, POWER, get, set_economics
from tests.monitoring.test_power import history_time
from tests.promcount import counting_requests

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db]

URL = "/metrics/fleet"
ACCELERATORS = "/api/v1/accelerators"
NODES = "/api/v1/infrastructure/nodes"


def scrape(api, **params) -> dict[str, dict[tuple, float]]:
    """``{metric: {sorted label items: value}}`` of one scrape (parsed by the client library's parser)."""
    response = api.get(URL, params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    out: dict[str, dict[tuple, float]] = defaultdict(dict)
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            out[sample.name][tuple(sorted(sample.labels.items()))] = sample.value
    return out


def by(samples: dict[tuple, float], *names: str) -> dict[tuple, float]:
    """Key samples by the values of ``names``."""
    return {tuple(dict(k)[n] for n in names): v for k, v in samples.items()}


def test_values_equal_the_api(staff_api, fleet_clusters, fleet_prometheus):
    set_economics(
        fleet_clusters, design_pue=1.4, carbon_intensity_g_per_kwh=450.0, electricity_price_per_kwh=Decimal("160")
    )
    fleet_clusters[0].power_budget_watts = 50_000.0
    fleet_clusters[0].save()
    t = history_time(fleet_prometheus.fleet)
    m = scrape(staff_api, time=t)

    power = staff_api.get(POWER, {"time": t}).json()
    assert by(m["kcloud_cluster_up"], "cluster") == {(c.name,): 1.0 for c in fleet_clusters}
    it = by(m["kcloud_cluster_it_power_watts"], "cluster")
    parts = by(m["kcloud_cluster_part_power_watts"], "cluster", "part")
    for row in power["by_cluster"]:
        c = row["cluster"]
        assert it[(c,)] == pytest.approx(row["power_watts"])
        assert by(m["kcloud_cluster_facility_power_watts"], "cluster")[(c,)] == pytest.approx(
            row["facility_power_watts"]
        )
        assert by(m["kcloud_cluster_pue"], "cluster", "source")[(c, "configured")] == pytest.approx(1.4)
        carbon = by(m["kcloud_cluster_carbon_grams_per_hour"], "cluster")[(c,)]
        assert carbon == pytest.approx(row["carbon_grams_per_hour"])
        cost = by(m["kcloud_cluster_cost_per_hour"], "cluster", "currency")[(c, row["currency"])]
        assert cost == pytest.approx(row["cost_per_hour"])
        for part in ("cpu", "dram", "gpu", "npu", "other"):
            assert parts[(c, part)] == pytest.approx(row[f"{part}_power_watts"])
        assert sum(v for (cc, _p), v in parts.items() if cc == c) == pytest.approx(row["power_watts"])
    assert by(m["kcloud_cluster_power_budget_watts"], "cluster") == {(fleet_clusters[0].name,): 50_000.0}

    # Nodes: the node list's power.
    nodes = {(n["cluster"], n["name"]): n for n in get(staff_api, NODES, time=t)["results"]}
    node_power = by(m["kcloud_node_it_power_watts"], "cluster", "node")
    assert set(node_power) == {k for k, n in nodes.items() if n["power_watts"] is not None}
    for key, value in node_power.items():
        assert value == pytest.approx(nodes[key]["power_watts"])

    # Namespaces: the breakdown's rows (each namespace's parts add up to its row).
    rows = get(staff_api, BREAKDOWN, by="namespace", time=t)["results"]
    groups = {(r["cluster"], r["namespace"]): r["power_watts"] for r in rows if r["kind"] == "group"}
    namespaces: dict[tuple, float] = defaultdict(float)
    for (c, ns, _part), v in by(m["kcloud_namespace_power_watts"], "cluster", "namespace", "part").items():
        namespaces[(c, ns)] += v
    assert set(namespaces) == set(groups)
    for key, value in namespaces.items():
        assert value == pytest.approx(groups[key])

    # Accelerators: the device list, one series per physical device (MIG and partitions merged).
    devices = {(d["cluster"], d["id"]): d for d in get(staff_api, ACCELERATORS, time=t)["results"]}
    device_power = by(m["kcloud_accelerator_power_watts"], "cluster", "device")
    assert set(device_power) <= set(devices)
    assert len(device_power) == sum(1 for d in devices.values() if d["power_watts"] is not None)
    for key, value in device_power.items():
        assert value == pytest.approx(devices[key]["power_watts"])
    counts = by(m["kcloud_cluster_accelerators"], "cluster", "kind", "status")
    for c in fleet_clusters:
        for kind in ("gpu", "npu"):
            for status in ("active", "idle", "unavailable"):
                expected = sum(
                    1 for d in devices.values() if (d["cluster"], d["kind"], d["status"]) == (c.name, kind, status)
                )
                assert counts[(c.name, kind, status)] == expected
    idle_power = by(m["kcloud_cluster_idle_accelerator_power_watts"], "cluster", "kind")
    for (c, kind), value in idle_power.items():
        idle = [
            d["power_watts"] or 0.0
            for d in devices.values()
            if (d["cluster"], d["kind"], d["status"]) == (c, kind, "idle")
        ]
        assert value == pytest.approx(sum(idle))
    allocated = by(m["kcloud_accelerator_allocated_ratio"], "cluster", "device")
    assert all(0.0 <= v <= 1.0 for v in allocated.values())
    assert any(v == 1.0 for v in allocated.values()) and any(v == 0.0 for v in allocated.values())


def test_a_scrape_costs_what_power_now_costs(staff_api, fleet_clusters, fleet_prometheus, settings, monkeypatch):
    settings.KCLOUD_CACHE_ENABLED = False
    t = history_time(fleet_prometheus.fleet)
    with counting_requests(monkeypatch) as power_counts:
        assert staff_api.get(POWER, {"time": t}).status_code == 200
    with counting_requests(monkeypatch) as scrape_counts:
        scrape(staff_api, time=t, pods="true")
    assert scrape_counts == power_counts and sum(scrape_counts.values()) > 0


def test_pods_only_on_request_and_capped(staff_api, fleet_clusters, fleet_prometheus, settings):
    t = history_time(fleet_prometheus.fleet)
    assert "kcloud_pod_power_watts" not in scrape(staff_api, time=t)
    settings.KCLOUD_FLEET_METRICS_MAX_PODS = 5
    m = scrape(staff_api, time=t, pods="true")
    pods = {(dict(k)["cluster"], dict(k)["namespace"], dict(k)["pod"]) for k in m["kcloud_pod_power_watts"]}
    assert len(pods) == 5
    omitted = m["kcloud_fleet_pods_omitted"][()]
    assert omitted > 0
    # The five are the most powerful of the breakdown's pods, and the rest are counted.
    rows = [r for r in get(staff_api, BREAKDOWN, by="pod", time=t)["results"] if r["kind"] == "group"]
    rows.sort(key=lambda r: -r["power_watts"])
    assert len(rows) == 5 + omitted
    assert pods == {(r["cluster"], r["namespace"], r["pod"]) for r in rows[:5]}


def test_a_dead_cluster_is_down_and_the_rest_answer(staff_api, fleet_clusters, fleet_prometheus, make_cluster):
    make_cluster("dead-one")
    m = scrape(staff_api, time=history_time(fleet_prometheus.fleet))
    up = by(m["kcloud_cluster_up"], "cluster")
    assert up[("dead-one",)] == 0.0
    assert all(up[(c.name,)] == 1.0 for c in fleet_clusters)
    assert ("dead-one",) not in by(m["kcloud_cluster_it_power_watts"], "cluster")


def test_who_may_scrape(client, token_client, partner_user, fleet_clusters, fleet_prometheus, settings):
    t = history_time(fleet_prometheus.fleet)
    assert client.get(URL).status_code in (401, 403)
    scoped = token_client(partner_user, clusters=[fleet_clusters[1]])
    assert set(by(scrape(scoped, time=t)["kcloud_cluster_up"], "cluster")) == {(fleet_clusters[1].name,)}
    # An internal Prometheus without a token, from a configured network: every enabled cluster.
    import ipaddress

    settings.KCLOUD_FLEET_METRICS_NETWORKS = [ipaddress.ip_network("127.0.0.0/8")]
    m = scrape(client, time=t)
    assert set(by(m["kcloud_cluster_up"], "cluster")) == {(c.name,) for c in fleet_clusters}
    settings.KCLOUD_FLEET_METRICS_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]
    assert client.get(URL).status_code in (401, 403)


@pytest.mark.parametrize("params", [{"pods": "maybe"}, {"nope": "1"}, {"cluster": "bad name!"}, {"time": "soon"}])
def test_bad_parameters_are_400(staff_api, params):
    response = staff_api.get(URL, params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_parameter"


def test_cardinality_is_bounded_as_documented(staff_api, fleet_clusters, fleet_prometheus):
    # deploy/README.md: at most 22 per cluster, 6 per node, 4 per namespace, 5 per accelerator.
    t = history_time(fleet_prometheus.fleet)
    m = scrape(staff_api, time=t)
    series = sum(len(samples) for samples in m.values())
    nodes = get(staff_api, NODES, time=t)["count"]
    devices = get(staff_api, ACCELERATORS, time=t)["count"]
    namespaces = {(r["cluster"], r["namespace"]) for r in get(staff_api, BREAKDOWN, by="namespace", time=t)["results"]}
    assert series <= 22 * len(fleet_clusters) + 6 * nodes + 4 * len(namespaces) + 5 * devices
    assert not any("pod" in dict(k) for samples in m.values() for k in samples)


def test_budgets_as_of_their_last_evaluation(staff_api, token_client, partner_user, fleet_clusters, fleet_prometheus):
    from monitoring.models import Budget

    seoul, busan = fleet_clusters[0], fleet_clusters[1]
    Budget.objects.create(
        name="seoul day",
        scope="cluster",
        cluster=seoul,
        limit=10,
        progress={"used_percent": 50, "projected_percent": 150},
    )
    Budget.objects.create(name="busan day", scope="cluster", cluster=busan, limit=10, progress={"used_percent": 20})
    t = history_time(fleet_prometheus.fleet)
    used = by(scrape(staff_api, time=t)["kcloud_budget_used_ratio"], "budget", "cluster")
    assert used == {("seoul day", seoul.name): 0.5, ("busan day", busan.name): 0.2}
    projected = by(scrape(staff_api, time=t)["kcloud_budget_projected_ratio"], "budget")
    assert projected == {("seoul day",): 1.5}  # busan's projection is unknown: no sample, not 0
    scoped = token_client(partner_user, clusters=[seoul])
    assert set(by(scrape(scoped, time=t)["kcloud_budget_used_ratio"], "budget")) == {("seoul day",)}
