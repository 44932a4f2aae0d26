"""The login and overview pages in a real headless Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CLOSED_URL

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def test_login_then_overview_shows_clusters_and_down_notice(logged_in_page, live_server, make_cluster):
    make_cluster("dead-a", url=CLOSED_URL, display_name="Dead A")
    page = logged_in_page
    page.goto(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == "Fleet overview"
    assert page.locator("[data-cluster=dead-a]").is_visible()
    assert "not answering" in page.locator(".notice-error").inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "overview-dead-cluster.png"), full_page=True)


def test_navigation_reaches_every_area(logged_in_page, live_server):
    page = logged_in_page
    labels = page.locator("nav.nav a").all_inner_texts()
    assert labels == [
        "Overview",
        "Clusters",
        "Accelerators",
        "Infrastructure",
        "Hardware",
        "Monitoring",
        "Exports",
        "System",
    ]
    page.click("nav.nav >> text=System")
    assert page.locator("h1").inner_text() == "System"
