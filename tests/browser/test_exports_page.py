"""The exports page in a real headless Chromium: the form downloads real files from the export API.

The downloads are read back (openpyxl, csv) and a screenshot of the page after a
download is saved in var/screenshots/ for a human to look at.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook

pytestmark = [pytest.mark.browser, pytest.mark.prometheus, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "var" / "screenshots"
DOWNLOADS = ROOT / "var" / "downloads"
TIMEOUT_MS = 60_000


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _download(page, name: str) -> Path:
    with page.expect_download(timeout=TIMEOUT_MS) as info:
        page.click("[data-download]")
    download = info.value
    DOWNLOADS.mkdir(parents=True, exist_ok=True)
    target = DOWNLOADS / download.suggested_filename
    download.save_as(str(target))
    assert download.suggested_filename.startswith(name), download.suggested_filename
    return target


def test_the_form_downloads_a_report_and_an_energy_table(logged_in_page, live_server, fleet_clusters, fleet_prometheus):
    page = logged_in_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/exports/")
    assert page.locator("h1").inner_text() == "Exports"
    assert page.locator("nav.nav a.active").inner_text() == "Exports"

    # The management report: only its own fields and formats are shown.
    page.check("input[name=what][value=report]")
    assert page.locator("select[name=period]").is_visible()
    assert not page.locator("select[name=window]").is_visible()
    assert page.locator("input[name=format_report][value=pdf]").is_visible()
    assert not page.locator("input[name=format_energy][value=csv]").is_visible()
    page.select_option("select[name=period]", "daily")
    page.check("input[name=format_report][value=xlsx]")
    _shot(page, "exports-page-report")
    path = _download(page, "kcloud-report-all-")
    assert path.suffix == ".xlsx"
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["Summary", "By cluster", "Top namespaces", "Power series"]
    clusters = {row[0] for row in workbook["By cluster"].iter_rows(min_row=2, values_only=True)}
    assert clusters == {c.name for c in fleet_clusters}
    page.wait_for_selector(".exp-status-ok")
    assert "Downloaded kcloud-report-all-" in page.locator("[data-status]").inner_text()

    # The energy table as CSV for one cluster over the last hour.
    page.check("input[name=what][value=energy]")
    page.select_option("select[name=window]", "1h")
    page.select_option("select[name=energy_group_by]", "namespace")
    page.select_option("select[name=cluster]", fleet_clusters[0].name)
    page.check("input[name=format_energy][value=csv]")
    path = _download(page, f"kcloud-energy-{fleet_clusters[0].name}-")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # the page's default: spreadsheets read Korean right
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and {r["cluster"] for r in rows} == {fleet_clusters[0].name}
    assert "energy_kwh" in rows[0] and "carbon_grams" in rows[0]
    page.wait_for_selector(".exp-status-ok")
    assert "/api/v1/export/energy?" in page.locator("[data-api-url]").inner_text()
    _shot(page, "exports-page")

    # A bad value is shown beside the button (the API's 400 message), the page stays.
    page.check("input[name=what][value=power]")
    page.select_option("select[name=window]", "custom")
    page.click("[data-download]")
    page.wait_for_selector(".exp-status-error")
    assert "start" in page.locator("[data-status]").inner_text()
    _shot(page, "exports-page-error")
    assert errors == []
