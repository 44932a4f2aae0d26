"""The accelerators pages in a real headless Chromium, as a logged-in staff user, on the real fleet.

Each test opens a page, finds real values of the demo fleet on it, waits for
the detail pages' uPlot charts (drawn from the timeseries API with the session
cookie) and saves a screenshot in var/screenshots/ for a human to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CLOSED_URL

pytestmark = [pytest.mark.browser, pytest.mark.prometheus, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
CHART_TIMEOUT_MS = 20_000


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _live(fleet, kind: str, predicate=lambda d: True):
    pool = fleet.gpus if kind == "gpu" else fleet.npus
    return next(d for d in pool.values() if (d.cluster, d.node) != fleet.stopped and predicate(d))


def _wait_for_charts(page, drawn: int) -> None:
    """Every chart figure finished; ``drawn`` of them hold a uPlot canvas, the others a message."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('figure[data-chart]')].every(f => f.dataset.state === 'done')",
        timeout=CHART_TIMEOUT_MS,
    )
    assert page.locator("figure[data-chart] .uplot canvas").count() == drawn
    assert page.locator("figure[data-chart] .notice-error").count() == 0


def test_accelerators_overview(logged_in_page, live_server, fleet_clusters, fleet_prometheus):
    page = logged_in_page
    page.goto(f"{live_server.url}/accelerators/")
    assert page.locator("h1").inner_text() == "Accelerators"
    assert page.locator("nav.nav a.active").inner_text() == "Accelerators"
    summary = page.locator("table.acc-summary").inner_text()
    for vendor in ("NVIDIA", "FuriosaAI", "Rebellions"):
        assert vendor in summary
    for cluster in fleet_prometheus.fleet.clusters:
        assert page.locator(f"text={cluster.name}").first.is_visible()
    _shot(page, "accelerators-overview")


def test_fleet_overview_has_the_accelerator_summary(logged_in_page, live_server, fleet_clusters):
    page = logged_in_page
    page.goto(f"{live_server.url}/")
    section = page.locator("section.acc-overview")
    assert section.is_visible()
    assert "GPUs" in section.inner_text() and "NPUs" in section.inner_text()
    _shot(page, "overview-with-accelerators")


def test_gpu_list_sort_filter_and_open_detail(logged_in_page, live_server, fleet_clusters, fleet_prometheus):
    fleet = fleet_prometheus.fleet
    page = logged_in_page
    page.goto(f"{live_server.url}/accelerators/gpus/")
    g = _live(fleet, "gpu", lambda x: x.pod is not None and not x.mig)
    row = page.locator(f"tr[data-uuid='{g.uuid}']")
    assert row.is_visible()
    assert g.model.name in row.inner_text() and g.node in row.inner_text()
    _shot(page, "accelerators-gpu-list")

    page.click("th >> text=Power (W)")
    page.wait_for_url("**ordering=-power_watts**")
    assert page.locator("th[aria-sort=descending]").inner_text().strip().lower() == "power (w)"

    page.select_option("select[name=status]", "idle")
    page.click(".filters button[type=submit]")
    page.wait_for_url("**status=idle**")
    badges = page.locator("table.acc-list tbody .badge").all_inner_texts()
    assert badges and set(badges) == {"IDLE"}
    _shot(page, "accelerators-gpu-list-filtered")

    page.fill("input[name=node]", "Bad Node!")
    page.click(".filters button[type=submit]")
    assert "Invalid filter." in page.locator(".notice-error").inner_text()
    _shot(page, "accelerators-gpu-list-bad-filter")

    page.goto(f"{live_server.url}/accelerators/gpus/")
    page.click(f"tr[data-uuid='{g.uuid}'] a")
    page.wait_for_url(f"**/accelerators/gpus/{g.uuid}/")
    assert page.locator("h1").inner_text() == g.model.name


def test_gpu_detail_draws_24h_charts(logged_in_page, live_server, fleet_clusters, fleet_prometheus):
    g = _live(fleet_prometheus.fleet, "gpu", lambda x: x.pod is not None and not x.mig)
    page = logged_in_page
    page.goto(f"{live_server.url}/accelerators/gpus/{g.uuid}/")
    assert g.uuid in page.locator("body").inner_text()
    assert g.pci_bus_id in page.locator("body").inner_text()
    _wait_for_charts(page, drawn=3)
    assert page.locator(".uplot .u-legend").first.is_visible()
    _shot(page, "accelerators-gpu-detail")


def test_mig_gpu_detail_shows_the_instances_engine_activity(
    logged_in_page, live_server, fleet_clusters, fleet_prometheus
):
    """DCGM has no GPU_UTIL under MIG: the page charts the slice-weighted engine activity instead of nothing."""
    g = _live(fleet_prometheus.fleet, "gpu", lambda x: x.mig)
    page = logged_in_page
    page.goto(f"{live_server.url}/accelerators/gpus/{g.uuid}/")
    assert page.locator("text=MIG instances").is_visible()
    _wait_for_charts(page, drawn=3)
    assert "engine activity" in page.locator("[data-live-field=utilization_percent]").inner_text()
    _shot(page, "accelerators-gpu-detail-mig")


def test_npu_list_and_furiosa_detail(logged_in_page, live_server, fleet_clusters, fleet_prometheus):
    x = _live(fleet_prometheus.fleet, "npu", lambda n: n.model.vendor == "furiosa")
    page = logged_in_page
    page.goto(f"{live_server.url}/accelerators/npus/")
    assert x.node in page.locator(f"tr[data-id='{x.id}']").inner_text()
    _shot(page, "accelerators-npu-list")

    page.click(f"tr[data-id='{x.id}'] a")
    page.wait_for_url(f"**/accelerators/npus/{x.id}/")
    assert page.locator("table.cores tbody tr").count() == x.model.cores
    _wait_for_charts(page, drawn=3)
    _shot(page, "accelerators-npu-detail-furiosa")


def test_rebellions_detail(logged_in_page, live_server, fleet_clusters, fleet_prometheus):
    x = _live(fleet_prometheus.fleet, "npu", lambda n: n.model.vendor == "rebellions")
    page = logged_in_page
    page.goto(f"{live_server.url}/accelerators/npus/{x.id}/")
    assert x.device in page.locator(".page-head").inner_text()
    _wait_for_charts(page, drawn=3)
    _shot(page, "accelerators-npu-detail-rebellions")


def test_dead_cluster_notice_on_the_gpu_list(logged_in_page, live_server, fleet_clusters, make_cluster):
    make_cluster("dead-a", url=CLOSED_URL)
    page = logged_in_page
    page.goto(f"{live_server.url}/accelerators/gpus/")
    assert "dead-a" in page.locator(".notice-error").inner_text()
    assert page.locator("table.acc-list tbody tr[data-uuid]").count() > 0
    _shot(page, "accelerators-gpu-list-dead-cluster")
