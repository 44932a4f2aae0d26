"""The cluster pages (Django test client) against the real Prometheus fleet: overview, detail, comparison.

The pages call the same services as the JSON API; the figures they show are checked
against the fleet's truth (inventory counts) or the API answer for the same instant.
"""

from __future__ import annotations

import re
from decimal import Decimal
from html import unescape

import pytest

from tests.pagehtml import TAG_RE, table_rows
from tests.pagehtml import get_html as _get

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db]


@pytest.fixture
def economics(fleet_clusters):
    by_name = {c.name: c for c in fleet_clusters}
    seoul = by_name["seoul-a"]
    seoul.design_pue, seoul.carbon_intensity_g_per_kwh = 1.5, 400.0
    seoul.electricity_price_per_kwh, seoul.currency = Decimal("150"), "KRW"
    seoul.save()
    return by_name


def _fact(html: str, name: str) -> str:
    match = re.search(rf'<dd data-fact="{name}">(.*?)</dd>', html, re.S)
    assert match, name
    return " ".join(unescape(TAG_RE.sub(" ", match.group(1))).split())


def test_detail_page_shows_summary_kpis(staff_client, staff_api, economics, fleet_prometheus):
    fp = fleet_prometheus
    html = _get(staff_client, "/clusters/seoul-a/")
    sim = fp.fleet.cluster("seoul-a")
    assert _fact(html, "nodes").endswith(f"/ {len(sim.nodes)}")
    assert _fact(html, "pods") == str(sum(1 for p in sim.pods if p.running))
    gpus = sum(len(n.gpus) for n in sim.nodes)
    assert _fact(html, "gpus").startswith(f"{gpus} ·")
    assert "ok" in _fact(html, "prometheus")
    assert "configured" in html and "KRW" in html
    # The graph is loaded from the topology API at the page's instant.
    url = re.search(r'data-topology data-url="([^"]+)"', html).group(1)
    body = staff_api.get(unescape(url)).json()
    assert body["status"] == "ok" and body["totals"]["counts"]["gpu"] == gpus
    # Placement: seoul-a is stored as kube-prometheus-stack stores it (scrape addresses, exported_* labels);
    # every exporter's series were placed, and the page says by which rule.
    placement = table_rows(html, "source")
    assert {"dcgm", "kepler", "ipmi", "cadvisor"} <= set(placement), placement
    for source, cells in placement.items():
        placed, total = cells[1].split(" of ")
        assert placed == total and int(total) > 0 and cells[-1] == "0", (source, cells)
    assert int(placement["ipmi"][3]) > 0  # by address: the host-network exporter's node IP


def test_detail_page_unknown_dead_and_links(staff_client, fleet_clusters, make_cluster):
    assert staff_client.get("/clusters/nowhere/").status_code == 404
    make_cluster("dead-cluster")
    html = _get(staff_client, "/clusters/dead-cluster/")
    assert "Topology not available" in html and "not answering" in html
    assert "cluster-topology.js" not in html
    listing = _get(staff_client, "/clusters/")
    assert 'href="/clusters/seoul-a/"' in listing


def test_compare_page_rows_match_the_api(staff_client, staff_api, economics, make_cluster):
    make_cluster("dead-cluster")
    html = _get(staff_client, "/clusters/compare/", range="1h")
    rows = table_rows(html, "cluster")
    assert set(rows) == {"seoul-a", "busan-b", "daejeon-c", "dead-cluster"}
    assert "Not answering" in rows["dead-cluster"][0] + " ".join(rows["dead-cluster"])
    api = {r["cluster"]: r for r in staff_api.get("/api/v1/clusters/compare", {"window": "1h"}).json()["results"]}
    seoul = rows["seoul-a"]
    # Energy over the same 1 h window (the API call may land one aligned 15 s step later).
    assert float(seoul[3].replace(",", "")) == pytest.approx(api["seoul-a"]["energy_kwh"], rel=0.02, abs=0.01)
    assert "configured" in seoul[1] and "KRW" in seoul[7]
    assert "unavailable" in rows["daejeon-c"][1]


def test_compare_page_bad_range_is_a_message_and_the_default(staff_client, db):
    html = _get(staff_client, "/clusters/compare/", range="forever")
    assert "The time range in the address is not valid" in html and "range:" in html
    assert "energy, 24 h" in html


def test_compare_page_over_a_past_range_matches_the_api_at_its_end(staff_client, staff_api, economics):
    """A range that ended earlier: energy over it, evaluated at its end, as the API answers for that instant."""
    from datetime import UTC, datetime, timedelta

    end = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=2)
    start = end - timedelta(hours=1)
    fmt = "%Y-%m-%dT%H:%M"
    html = _get(staff_client, "/clusters/compare/", **{"from": start.strftime(fmt), "to": end.strftime(fmt)})
    rows = table_rows(html, "cluster")
    query = {"window": "3600s", "time": int(end.timestamp())}
    api = {r["cluster"]: r for r in staff_api.get("/api/v1/clusters/compare", query).json()["results"]}
    printed = float(rows["seoul-a"][3].replace(",", ""))  # to 0.01 kWh
    assert printed == pytest.approx(api["seoul-a"]["energy_kwh"], abs=0.006)
    assert api["seoul-a"]["energy_kwh"] > 0


def test_overview_shows_power_per_cluster_and_a_dead_one(staff_client, staff_api, economics, make_cluster):
    make_cluster("dead-cluster")
    html = _get(staff_client, "/")
    rows = table_rows(html, "cluster")
    assert {"seoul-a", "busan-b", "daejeon-c", "dead-cluster"} <= set(rows)
    assert "Not answering" in " ".join(rows["dead-cluster"])
    assert "Partial totals" in html
    api = {r["cluster"]: r for r in staff_api.get("/api/v1/monitoring/power").json()["by_cluster"]}
    power = float(rows["seoul-a"][1].replace(",", ""))
    assert power == pytest.approx(api["seoul-a"]["power_watts"], rel=0.05)  # maybe one live sample apart
    assert "configured" in rows["seoul-a"][4] and "KRW" in rows["seoul-a"][6]
    assert 'href="/clusters/seoul-a/"' in html
    assert "data-idle-waste" in html and "group_by=cluster" in html
    assert 'data-cluster="dead-cluster"' in html  # the health card is kept
