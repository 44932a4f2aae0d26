"""One time range everywhere, in Chromium on the real fleet: chosen once, kept in the URL, carried
across pages (navigation, the tables' links, the filter forms), custom from/to, and a drag across a
chart that reopens the page on the sub-range so its tables follow."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser.pages import settle

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.prometheus, pytest.mark.django_db(transaction=True)]


def _query(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def _active_preset(page) -> str:
    return page.locator(".time-range .tr-presets a.active").inner_text()


def test_a_preset_follows_the_user_through_navigation_links_and_filters(
    logged_in_page, live_server, fleet_clusters, fleet_prometheus
):
    page = logged_in_page
    page.goto(f"{live_server.url}/monitoring/breakdown/")
    assert _active_preset(page) == "24 h"  # the default
    page.click(".time-range .tr-presets a:text-is('7 d')")
    page.wait_for_url(re.compile(r"range=7d"))
    assert _active_preset(page) == "7 d" and "Energy, 7 d (kWh)" in page.text_content("table.mon-breakdown thead")

    # A filter form keeps the range (and the range keeps the filters).
    page.select_option("select[name=by]", "namespace")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"by=namespace"))
    assert _query(page)["range"] == ["7d"]
    page.click(".time-range .tr-presets a:text-is('6 h')")
    page.wait_for_url(re.compile(r"range=6h"))
    assert _query(page)["by"] == ["namespace"]

    # The header's navigation carries it to another area...
    page.click("nav.nav a:text-is('Clusters')")
    page.wait_for_url(re.compile(r"/clusters/\?range=6h$"))
    # ...and so do the links inside the pages (drawn by the server or by the pages' scripts).
    page.goto(f"{live_server.url}/infrastructure/?range=6h")
    fleet = fleet_prometheus.fleet
    node = next(n.name for n in fleet.clusters[0].nodes if n.gpus and (n.cluster, n.name) != fleet.stopped)
    page.click(f"a[href*='/infrastructure/nodes/{node}/']")
    page.wait_for_url(re.compile(rf"/infrastructure/nodes/{node}/"))
    assert _query(page)["range"] == ["6h"]
    assert _active_preset(page) == "6 h"
    settle(page, page.url)
    assert "Over 6 h" in page.inner_text("main")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "time-range-node-6h.png"), full_page=True)
    # The GPU/NPU detail pages reached from here show the same range.
    page.locator("main a[href*='/accelerators/gpus/']").first.click()
    page.wait_for_url(re.compile(r"/accelerators/gpus/"))
    assert _query(page)["range"] == ["6h"] and _active_preset(page) == "6 h"


def test_a_custom_range_from_the_inputs(logged_in_page, live_server, fleet_clusters):
    page = logged_in_page
    page.goto(f"{live_server.url}/clusters/compare/")
    page.fill(".tr-custom input[name=from]", "2026-11-30T08:00")
    page.fill(".tr-custom input[name=to]", "2026-11-30T14:30")
    page.click(".tr-custom button[type=submit]")
    page.wait_for_url(re.compile(r"from=2026-11-30T08%3A00&to=2026-11-30T14%3A30"))
    assert page.locator("[data-time-range-label]").inner_text() == "2026-11-30 08:00 → 2026-11-30 14:30 UTC"
    assert page.locator(".time-range .tr-presets a.active").count() == 0
    # Carried as from/to to the next page.
    page.click("nav.nav a:text-is('Monitoring')")
    page.wait_for_url(re.compile(r"/monitoring/\?from="))
    assert page.locator(".tr-custom input[name=from]").input_value() == "2026-11-30T08:00"


def test_dragging_across_the_chart_zooms_the_page_and_its_table(
    logged_in_page, live_server, fleet_clusters, fleet_prometheus
):
    page = logged_in_page
    page.goto(f"{live_server.url}/monitoring/breakdown/?by=cluster&range=6h")
    settle(page, page.url)
    before = page.inner_text("table.mon-breakdown tr[data-kind='total']")
    over = page.locator("figure[data-power-chart] .u-over")
    box = over.bounding_box()
    y = box["y"] + box["height"] / 2
    # The middle half of the six hours: about three hours.
    page.mouse.move(box["x"] + box["width"] * 0.25, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.75, y, steps=8)
    page.mouse.up()
    page.wait_for_url(re.compile(r"from="))
    query = _query(page)
    assert "range" not in query and query["by"] == ["cluster"]
    label = page.locator("[data-time-range-label]").inner_text()
    start, end = re.search(r"(\d{4}-\d\d-\d\d \d\d:\d\d) → (\d{4}-\d\d-\d\d \d\d:\d\d)", label).groups()
    hours = (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() / 3600
    assert 2.5 <= hours <= 3.5
    settle(page, page.url)
    # The table follows: energy over the sub-range, less than over the six hours.
    head = page.text_content("table.mon-breakdown thead")
    assert f"Energy, {start} → {end} UTC" in head
    after = page.inner_text("table.mon-breakdown tr[data-kind='total']")
    energy = [float(re.findall(r"[\d,]+\.\d+", row)[-1].replace(",", "")) for row in (before, after)]
    assert 0 < energy[1] < energy[0]
    page.screenshot(path=str(SHOTS / "time-range-zoomed-breakdown.png"), full_page=True)
