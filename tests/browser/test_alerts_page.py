"""Alerts and budgets in a real headless Chromium: the page after a real evaluation, and an operator action."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.prometheus, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def test_alerts_page_after_an_evaluation(logged_in_page, live_server, fleet_clusters):
    from monitoring.alerting import evaluate, sync
    from monitoring.models import AlertRule, Budget

    seoul = fleet_clusters[0]
    budget = Budget.objects.create(
        name="seoul energy today", scope="cluster", cluster=seoul, period="day", limit=5, warn_at_percent=[80, 100]
    )
    sync.budget_rules(budget)
    Budget.objects.create(name="fleet energy this month", scope="fleet", period="month", limit=1e7)
    AlertRule.objects.create(name="cluster above 1 kW", kind="power_above", level="cluster", threshold=1000)
    assert evaluate.run() is not None

    page = logged_in_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/monitoring/alerts/")
    rows = page.locator("table.alerts tbody tr")
    assert rows.count() >= len(fleet_clusters) + 2  # every cluster above 1 kW, seoul over 80 % and 100 %
    assert rows.first.locator(".state").inner_text() == "Firing"
    budget_row = page.locator("table.budgets tbody tr", has_text="seoul energy today")
    assert "over" in budget_row.inner_text() and budget_row.locator(".budget-bar.over").is_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "alerts-page.png"), full_page=True)

    first = rows.first
    subject = first.locator("code").inner_text()
    first.locator("button", has_text="Acknowledge").click()
    page.wait_for_url(f"{live_server.url}/monitoring/alerts/")
    acknowledged = page.locator("table.alerts tbody tr", has_text=subject).first
    assert "acknowledged by staff" in acknowledged.inner_text()

    page.goto(f"{live_server.url}/")
    panel = page.locator("section[aria-labelledby=budgets-title]")
    assert "firing" in panel.inner_text() and "seoul energy today" in panel.inner_text()
    page.screenshot(path=str(SHOTS / "overview-budgets.png"), full_page=True)
    assert errors == []
