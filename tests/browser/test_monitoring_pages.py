"""The monitoring pages in a real headless Chromium, as staff, on the real fleet.

Each test opens a page, finds real values of the demo fleet on it, waits for the
stacked uPlot chart (drawn from the power time-series API with the session
cookie) and saves a screenshot in var/screenshots/ for a human to look at.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.prometheus, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
CHART_TIMEOUT_MS = 20_000
CHART_DONE = "() => document.querySelector('figure[data-power-chart]').dataset.state === 'done'"


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _economics(clusters) -> None:
    by_name = {c.name: c for c in clusters}
    seoul = by_name["seoul-a"]
    seoul.design_pue, seoul.carbon_intensity_g_per_kwh = 1.4, 415.0
    seoul.electricity_price_per_kwh, seoul.currency = Decimal("140"), "KRW"
    seoul.save()
    busan = by_name["busan-b"]
    busan.facility_power_query, busan.carbon_intensity_g_per_kwh = "vector(6000)", 415.0
    busan.electricity_price_per_kwh, busan.currency = Decimal("140"), "KRW"
    busan.save()


def _watch_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    return errors


def test_power_page_draws_the_24h_stack_by_cluster(logged_in_page, live_server, fleet_clusters, fleet_prometheus):
    _economics(fleet_clusters)
    page = logged_in_page
    errors = _watch_errors(page)
    page.goto(f"{live_server.url}/monitoring/")
    assert page.locator("h1").inner_text() == "Power"
    assert page.locator("nav.nav a.active").inner_text() == "Monitoring"
    for name in ("seoul-a", "busan-b", "daejeon-c"):
        assert page.locator(f"table.mon-clusters tr[data-cluster='{name}']").is_visible()
    assert "measured" in page.locator("tr[data-cluster='busan-b']").inner_text().lower()
    assert "unavailable" in page.locator("tr[data-cluster='daejeon-c']").inner_text().lower()
    assert "KRW" in page.locator(".kpis").inner_text()
    page.wait_for_function(CHART_DONE, timeout=CHART_TIMEOUT_MS)
    assert page.locator("figure[data-power-chart] .uplot canvas").count() == 1
    legend = page.locator("figure[data-power-chart] .u-legend").inner_text()
    for name in ("seoul-a", "busan-b", "daejeon-c"):
        assert name in legend
    _shot(page, "monitoring-power")
    assert errors == []


def test_power_page_with_a_dead_cluster(logged_in_page, live_server, fleet_clusters, make_cluster):
    make_cluster("dead-cluster")
    page = logged_in_page
    page.goto(f"{live_server.url}/monitoring/")
    assert "dead-cluster" in page.locator(".notice-error").inner_text()
    assert "Partial totals" in page.locator(".partial-notice").inner_text()
    page.wait_for_function(CHART_DONE, timeout=CHART_TIMEOUT_MS)
    assert page.locator("figure[data-power-chart] .uplot canvas").count() == 1
    _shot(page, "monitoring-power-dead-cluster")


def test_breakdown_page_by_namespace(logged_in_page, live_server, fleet_clusters, fleet_prometheus):
    fleet = fleet_prometheus.fleet
    namespace = next(p.namespace for p in fleet.clusters[0].pods if p.running)
    page = logged_in_page
    errors = _watch_errors(page)
    page.goto(f"{live_server.url}/monitoring/breakdown/")
    assert page.locator("h1").inner_text() == "Power breakdown"
    page.wait_for_function(CHART_DONE, timeout=CHART_TIMEOUT_MS)
    assert page.locator("figure[data-power-chart] .uplot canvas").count() == 1
    _shot(page, "monitoring-breakdown-cluster")

    page.click(".time-range .tr-presets a:text-is('6 h')")
    page.wait_for_url("**range=6h**")
    page.select_option("select[name=by]", "namespace")
    page.click(".filters button[type=submit]")
    page.wait_for_url("**by=namespace**")
    assert "range=6h" in page.url
    assert page.locator(f"tr[data-key='{namespace}']").count() >= 1
    assert page.locator("tr[data-kind='idle']").is_visible()
    assert page.locator("tr[data-kind='unattributed']").is_visible()
    page.wait_for_function(CHART_DONE, timeout=CHART_TIMEOUT_MS)
    assert page.locator("figure[data-power-chart] .uplot canvas").count() == 1
    assert "Idle" in page.locator("figure[data-power-chart] .u-legend").inner_text()
    _shot(page, "monitoring-breakdown-namespace")
    assert errors == []

    page.goto(f"{live_server.url}/monitoring/breakdown/?by=colour")  # the browser logs the 400 itself
    assert "by" in page.locator(".notice-error").inner_text()


def test_energy_report(logged_in_page, live_server, fleet_clusters, fleet_prometheus):
    _economics(fleet_clusters)
    fleet = fleet_prometheus.fleet
    namespace = next(p.namespace for p in fleet.clusters[0].pods if p.running)
    page = logged_in_page
    page.goto(f"{live_server.url}/monitoring/energy/")
    assert page.locator("h1").inner_text() == "Energy report"
    assert page.locator(f"table.mon-energy tr[data-key='{namespace}']").count() >= 1
    assert page.locator("tr[data-key='total']").is_visible()
    href = page.locator("a[data-export]").get_attribute("href")
    assert href.startswith("/api/v1/monitoring/energy?start=")
    _shot(page, "monitoring-energy")

    page.select_option("select[name=group_by]", "cluster")
    page.click(".filters button[type=submit]")
    page.wait_for_url("**group_by=cluster**")
    row = page.locator("tr[data-row='seoul-a/seoul-a']").inner_text()
    assert "configured" in row.lower() and "KRW" in row
    _shot(page, "monitoring-energy-cluster")

    answer = page.request.get(f"{live_server.url}{page.locator('a[data-export]').get_attribute('href')}")
    assert answer.ok and {r["cluster"] for r in answer.json()["results"]} >= {"seoul-a", "busan-b", "daejeon-c"}
