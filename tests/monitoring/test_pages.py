"""The monitoring pages (Django test client) against the real Prometheus fleet.

The pages call the same services as the API: here we check they show the
fleet's clusters and namespaces with real values, PUE with its source, carbon
and cost with the cluster's currency, rows that add up, a dead cluster announced
with partial totals, and bad parameters as a message on the page (400, never 500).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.pagehtml import get_html as _get
from tests.pagehtml import table_rows

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db]


@pytest.fixture
def economics(fleet_clusters):
    """seoul-a configured (PUE 1.5, KRW), busan-b measured (facility query), daejeon-c without a PUE."""
    by_name = {c.name: c for c in fleet_clusters}
    seoul = by_name["seoul-a"]
    seoul.design_pue, seoul.carbon_intensity_g_per_kwh = 1.5, 400.0
    seoul.electricity_price_per_kwh, seoul.currency = Decimal("150"), "KRW"
    seoul.save()
    busan = by_name["busan-b"]
    busan.facility_power_query, busan.carbon_intensity_g_per_kwh = "vector(1500)", 300.0
    busan.electricity_price_per_kwh, busan.currency = Decimal("0.12"), "USD"
    busan.save()
    return by_name


def _number(text: str) -> float:
    return float(text.split()[0].replace(",", ""))


def test_anonymous_users_are_sent_to_login(client, db):
    for name in ("monitoring-page", "monitoring-breakdown", "monitoring-energy"):
        response = client.get(reverse(name))
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("login")), name


def test_power_page_shows_each_cluster_with_pue_carbon_and_cost(staff_client, economics, fleet_prometheus):
    html = _get(staff_client, reverse("monitoring-page"))
    rows = table_rows(html, "cluster")
    assert set(rows) == {"seoul-a", "busan-b", "daejeon-c"}
    for cells in rows.values():
        assert _number(cells[1]) > 0  # IT power now
    seoul, busan, daejeon = rows["seoul-a"], rows["busan-b"], rows["daejeon-c"]
    assert seoul[4] == "1.50 configured"
    assert _number(seoul[3]) == pytest.approx(_number(seoul[1]) * 1.5, rel=1e-3)
    assert seoul[6].endswith("KRW") and _number(seoul[5]) > 0
    assert busan[3] == "1,500" and busan[4].endswith("measured")
    assert busan[6].endswith("USD")
    # No PUE: facility, carbon and cost are unknown ("—"), never 0.
    assert daejeon[3] == "—" and daejeon[4] == "— unavailable" and daejeon[5] == "—" and daejeon[6] == "—"
    assert "IT power now" in html and "g CO₂e/h" in html
    assert "KRW" in html and "USD" in html  # the cost rate per currency
    assert 'data-power-chart data-url="/api/v1/monitoring/timeseries/power?group_by=cluster&amp;start=' in html
    for resource in ("gpu", "npu", "cpu", "dram", "other"):
        assert f'data-resource="{resource}"' in html
    running = {p.namespace for c in fleet_prometheus.fleet.clusters for p in c.pods if p.running}
    top = table_rows(html, "namespace")
    assert top and set(top) <= running


def test_power_page_with_a_dead_cluster_is_partial(staff_client, fleet_clusters, make_cluster):
    make_cluster("dead-cluster")
    html = _get(staff_client, reverse("monitoring-page"))
    rows = table_rows(html, "cluster")
    assert rows["dead-cluster"][0] == "dead-cluster error"
    assert rows["dead-cluster"][1].startswith("Not answering")
    assert "1 of 4 clusters not answering" in html
    assert "Partial totals:" in html and "dead-cluster did not answer" in html
    assert _number(rows["seoul-a"][1]) > 0


def test_power_page_unknown_cluster_is_a_message(staff_client, fleet_clusters):
    html = _get(staff_client, reverse("monitoring-page"), expect=400, cluster="nowhere")
    assert "Invalid filter." in html and "nowhere" in html


def test_breakdown_by_cluster_adds_up(staff_client, fleet_clusters, fleet_prometheus):
    html = _get(staff_client, reverse("monitoring-breakdown"), by="cluster", range="1h")
    rows = table_rows(html, "kind")
    groups = table_rows(html, "key")
    assert {"seoul-a", "busan-b", "daejeon-c"} <= set(groups)
    total = rows["total"]
    parts = [groups[name][1] for name in ("seoul-a", "busan-b", "daejeon-c")]
    parts += [rows["idle"][1], rows["unattributed"][1]]
    assert sum(_number(p) for p in parts) == pytest.approx(_number(total[1]), abs=0.5)
    assert _number(total[3]) > 0  # energy over the window (kWh)
    assert "Energy, 1 h (kWh)" in html
    assert 'data-group="cluster"' in html


def test_breakdown_by_namespace_lists_the_fleets_namespaces(staff_client, fleet_clusters, fleet_prometheus):
    fleet = fleet_prometheus.fleet
    namespace = next(p.namespace for p in fleet.clusters[0].pods if p.running)
    html = _get(staff_client, reverse("monitoring-breakdown"), by="namespace", range="6h")
    groups = table_rows(html, "key")
    assert namespace in groups
    assert groups[namespace][1] in {"seoul-a", "busan-b", "daejeon-c"}
    assert 'data-kind="idle"' in html and 'data-kind="unattributed"' in html
    # A grouping without a time series (pods): a table, no chart.
    html = _get(staff_client, reverse("monitoring-breakdown"), by="pod")
    assert "data-power-chart" not in html and 'data-kind="total"' in html


def test_breakdown_bad_parameters_are_a_message(staff_client, fleet_clusters):
    html = _get(staff_client, reverse("monitoring-breakdown"), expect=400, by="colour")
    assert "Invalid parameter." in html and "by" in html


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"range": "soon"}, "range"),
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-11-20T00:00", "to": "2026-11-10T00:00"}, "from"),
        ({"from": "2026-11-20T00:00", "to": "2026-11-20T00:01"}, "from"),
    ],
)
def test_a_bad_time_range_is_named_and_the_default_shown(staff_client, fleet_clusters, fleet_prometheus, params, field):
    """Any page with history: the control says what was wrong, the page shows the last 24 hours."""
    for name in ("monitoring-breakdown", "monitoring-energy", "monitoring-page"):
        html = _get(staff_client, reverse(name), **params)
        assert "The time range in the address is not valid; showing the last 24 hours." in html
        assert f"{field}:" in html
        assert 'class="active" aria-current="true">24 h</a>' in html


def test_energy_report_by_namespace(staff_client, economics, fleet_prometheus):
    fleet = fleet_prometheus.fleet
    pod = next(p for p in fleet.clusters[0].pods if p.running)
    html = _get(staff_client, reverse("monitoring-energy"), group_by="namespace", cluster=fleet.clusters[0].name)
    rows = table_rows(html, "row")
    assert f"{fleet.clusters[0].name}/{pod.namespace}" in rows
    assert any(key.split("/")[1] == "Idle" for key in rows)  # idle=node: the nodes' idle energy has rows
    assert _number(rows["total"][6]) > 0  # IT kWh
    for header in ("CPU (kWh)", "DRAM (kWh)", "GPU (kWh)", "NPU (kWh)", "Facility (kWh)", "(kg CO₂e)"):
        assert header in html
    assert "/api/v1/monitoring/energy?start=" in html and "group_by=namespace" in html


def test_energy_report_rows_add_up_to_the_total(staff_client, economics, fleet_prometheus):
    html = _get(staff_client, reverse("monitoring-energy"), group_by="cluster")
    rows = table_rows(html, "row")
    total = rows.pop("total")
    assert {key.split("/")[0] for key in rows} == {"seoul-a", "busan-b", "daejeon-c"}
    for column in (2, 3, 4, 5, 6):  # CPU, DRAM, GPU, NPU, IT kWh (cluster rows have no Cluster column)
        column -= 1
        values = [_number(c[column]) for c in rows.values() if c[column] != "—"]
        assert sum(values) == pytest.approx(_number(total[column]), abs=0.002 * len(values) + 0.001)


def test_energy_report_by_cluster_between_dates(staff_client, economics, fleet_prometheus):
    from datetime import timedelta

    from kcloud.timeutil import utcnow

    # Today, unless it began minutes ago (a window shorter than the shortest allowed): then yesterday.
    today = (utcnow() - timedelta(minutes=30)).date().isoformat()
    html = _get(
        staff_client, reverse("monitoring-energy"), group_by="cluster", idle="share", **{"from": f"{today}T00:00"}
    )
    rows = table_rows(html, "row")
    assert {"seoul-a/seoul-a", "busan-b/busan-b", "daejeon-c/daejeon-c"} <= set(rows)
    seoul, daejeon = rows["seoul-a/seoul-a"], rows["daejeon-c/daejeon-c"]
    assert seoul[7] == "1.50 configured" and seoul[9].endswith("KRW")
    assert daejeon[6] == "—" and daejeon[8] == "—" and daejeon[9] == "—"  # no PUE: nothing invented
    assert f"{today} 00:00" in html


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"group_by": "pod"}, "group_by"),
        ({"idle": "keep"}, "idle"),
    ],
)
def test_energy_bad_parameters_are_a_message(staff_client, fleet_clusters, params, field):
    html = _get(staff_client, reverse("monitoring-energy"), expect=400, **params)
    assert "Invalid parameter." in html and field in html


def test_energy_report_empty_range_fields_mean_the_last_24_hours(staff_client, fleet_clusters, fleet_prometheus):
    html = _get(staff_client, reverse("monitoring-energy"), range="", to="", group_by="node", idle="node")
    assert "(24.0 h)" in html and 'class="active" aria-current="true">24 h</a>' in html
    nodes = {n.name for n in fleet_prometheus.fleet.nodes.values()}
    assert nodes & {key.split("/")[1] for key in table_rows(html, "row") if key != "total"}


def test_breakdown_keeps_a_custom_range(staff_client, fleet_clusters, fleet_prometheus):
    from datetime import timedelta

    from kcloud.timeutil import utcnow

    # Two hours that ended an hour ago: inside the fleet's history, not "now".
    end_at = utcnow().replace(second=0, microsecond=0) - timedelta(hours=1)
    start, end = (end_at - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"), end_at.strftime("%Y-%m-%dT%H:%M")
    html = _get(staff_client, reverse("monitoring-breakdown"), by="resource_type", **{"from": start, "to": end})
    assert f'name="from" value="{start}"' in html and f'name="to" value="{end}"' in html
    assert f"Energy, {start.replace('T', ' ')} → {end.replace('T', ' ')} UTC (kWh)" in html
    assert "Power at the range's end" in html  # a past range: not "now"
    assert {"GPU", "NPU", "CPU", "DRAM"} == set(table_rows(html, "key"))
