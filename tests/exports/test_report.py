"""The management report (``/api/v1/export/report``): PDF and XLSX read back, against the JSON API and the truth.

The report's numbers must be those of ``/monitoring/energy`` and ``/monitoring/
efficiency`` for the same window, which equal the fleet simulator's ground truth.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from exports.report.pdf import energy_digits, money_digits
from exports.report.period import resolve_window
from kcloud.api.errors import BadParameter
from kcloud.templatetags.display import num
from tests.exports.stamps import stamp
from tests.monitoring.helpers import ENERGY, J_PER_KWH, PARTS, close, get, set_economics, window_end
from tests.promcount import counting_requests

REPORT = "/api/v1/export/report"
EFFICIENCY = "/api/v1/monitoring/efficiency"
SERIES = "/api/v1/monitoring/timeseries/power"
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "reports"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- the period → window rules (no Prometheus needed) ---------------------------------------------

NOW = datetime(2026, 11, 26, 9, 41, 7, tzinfo=UTC)  # a Thursday


def test_daily_is_the_previous_full_utc_day():
    w = resolve_window("daily", now=NOW)
    assert (w.start, w.end) == (datetime(2026, 11, 25, tzinfo=UTC), datetime(2026, 11, 26, tzinfo=UTC))
    assert w.label == "Daily report, 2026-11-25"


def test_weekly_is_the_previous_full_iso_week():
    w = resolve_window("weekly", now=NOW)
    assert (w.start, w.end) == (datetime(2026, 11, 16, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC))
    assert w.start.weekday() == 0 and w.label == "Weekly report, 2026-W47"
    # On a Monday the previous week is the one that just ended.
    monday = resolve_window("weekly", now=datetime(2026, 11, 23, 0, 0, 1, tzinfo=UTC))
    assert monday.start == datetime(2026, 11, 16, tzinfo=UTC)


def test_monthly_is_the_previous_full_month_across_a_year():
    w = resolve_window("monthly", now=datetime(2027, 1, 3, tzinfo=UTC))
    assert (w.start, w.end) == (datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert w.label == "Monthly report, December 2026"
    assert resolve_window("monthly", now=NOW).start == datetime(2026, 10, 1, tzinfo=UTC)


def test_custom_is_aligned_like_the_energy_api():
    w = resolve_window("custom", "2026-11-20T00:00:00Z", "2026-11-20T06:00:00Z", now=NOW)
    assert (w.start, w.end) == (datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 11, 20, 6, tzinfo=UTC))


@pytest.mark.parametrize(
    ("period", "start", "end", "parameter"),
    [
        (None, None, None, "period"),
        ("yearly", None, None, "period"),
        ("custom", None, "2026-11-20T00:00:00Z", "start"),
        ("custom", "2026-11-20T00:00:00Z", None, "end"),
        ("custom", "yesterday", "2026-11-20T00:00:00Z", "start"),
        ("custom", "2026-11-20T00:00:00Z", "2026-11-19T00:00:00Z", "start"),
        ("custom", "2026-11-20T00:00:00Z", "2026-11-20T00:02:00Z", "start"),
        ("custom", "2026-11-20T00:00:00Z", "2026-12-20T00:00:00Z", "end"),  # in the future
        ("daily", "2026-11-20T00:00:00Z", None, "start"),
        ("weekly", None, "2026-11-20T00:00:00Z", "end"),
    ],
)
def test_bad_windows_name_their_parameter(period, start, end, parameter):
    with pytest.raises(BadParameter) as info:
        resolve_window(period, start, end, now=NOW)
    assert info.value.details == {"parameter": parameter}


# --- the API ------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "parameter", "words"),
    [
        ({"period": "daily", "format": "csv"}, "format", ["pdf", "xlsx"]),
        ({"period": "daily", "format": "docx"}, "format", ["pdf", "xlsx"]),
        ({"period": "daily"}, "format", ["pdf", "xlsx"]),
        ({"period": "hourly", "format": "pdf"}, "period", ["daily", "weekly", "monthly", "custom"]),
        ({"period": "custom", "format": "pdf", "end": "2026-01-02T00:00:00Z"}, "start", ["required"]),
        ({"period": "daily", "format": "pdf", "start": "2026-01-01"}, "start", ["custom"]),
        ({"period": "daily", "format": "pdf", "colour": "red"}, "colour", []),
        ({"period": "daily", "format": "pdf", "cluster": "bad name!"}, "cluster", []),
    ],
)
def test_bad_parameters_are_400(staff_api, make_cluster, query, parameter, words):
    make_cluster("seoul-a")
    response = staff_api.get(REPORT, query)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid_parameter" and error["details"] == {"parameter": parameter}
    for word in words:
        assert word in error["message"]


@pytest.mark.django_db
def test_unknown_cluster_is_404_and_anonymous_is_refused(staff_api, make_cluster, client):
    make_cluster("seoul-a")
    response = staff_api.get(REPORT, {"period": "daily", "format": "pdf", "cluster": "nowhere"})
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert client.get(REPORT, {"period": "daily", "format": "pdf"}).status_code in (401, 403)


# --- against the real Prometheus fleet -----------------------------------------------------------


def _economics(clusters) -> None:
    set_economics(
        clusters, design_pue=1.4, carbon_intensity_g_per_kwh=430.0, electricity_price_per_kwh=Decimal("168.5")
    )


def _window(fp, hours: int = 6) -> tuple[int, int]:
    end = int(window_end(fp.fleet))
    return end - hours * 3600, end


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat().replace("+00:00", "Z")


def _report(api, fmt: str, start: float, end: float, **extra):
    response = api.get(REPORT, {"period": "custom", "start": _iso(start), "end": _iso(end), "format": fmt, **extra})
    assert response.status_code == 200, response.content
    return response


def _save(name: str, content: bytes) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / name).write_bytes(content)


def _cluster_truth_kwh(fp, cluster: str, start: float, end: float) -> float:
    """A cluster's IT energy as /monitoring/energy defines it: its nodes' CPU + DRAM + GPU + NPU."""
    joules = 0.0
    for n in fp.fleet.cluster(cluster).nodes:
        joules += sum(fp.truth.energy_joules(f"node_{p}", (cluster, n.name), start, end, scraped=True) for p in PARTS)
    return joules / J_PER_KWH


def _api_by_cluster(api, start: float, end: float) -> tuple[dict, dict]:
    body = get(api, ENERGY, start=int(start), end=int(end), group_by="cluster")
    per: dict = {}
    for row in body["results"]:
        keys = ("energy_kwh", "facility_energy_kwh", "carbon_grams", "cost")
        entry = per.setdefault(row["cluster"], dict.fromkeys(keys, 0.0))
        for key in entry:
            entry[key] += row[key]
    return per, body["totals"]


def _sheet_rows(ws) -> list[dict]:
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    return [dict(zip(header, r, strict=True)) for r in rows[1:]]


def _summary(ws) -> dict:
    return {row[0]: row[1] for row in ws.iter_rows(values_only=True) if row[0]}


@pytest.mark.prometheus
@pytest.mark.django_db
def test_xlsx_report_equals_the_json_api_and_the_truth(staff_api, fleet_clusters, fleet_prometheus):
    fp = fleet_prometheus
    _economics(fleet_clusters)
    start, end = _window(fp)
    response = _report(staff_api, "xlsx", start, end)
    assert response["Content-Type"] == XLSX
    names = "all"
    stamps = f"{stamp(start)}-{stamp(end)}"
    assert response["Content-Disposition"] == f'attachment; filename="kcloud-report-{names}-{stamps}.xlsx"'
    _save("report.xlsx", response.content)
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["Summary", "By cluster", "Top namespaces", "Power series"]

    per, totals = _api_by_cluster(staff_api, start, end)
    by_cluster = {r["cluster"]: r for r in _sheet_rows(wb["By cluster"])}
    assert set(by_cluster) == {c.name for c in fp.fleet.clusters} == set(per)
    for name, row in by_cluster.items():
        assert row["energy_kwh"] == pytest.approx(per[name]["energy_kwh"], rel=1e-9)
        assert close(row["energy_kwh"], _cluster_truth_kwh(fp, name, start, end)), name
        assert row["facility_energy_kwh"] == pytest.approx(per[name]["facility_energy_kwh"], rel=1e-9)
        assert row["carbon_kg"] == pytest.approx(per[name]["carbon_grams"] / 1000, rel=1e-9)
        assert row["cost"] == pytest.approx(per[name]["cost"], rel=1e-9) and row["currency"] == "KRW"
        assert row["pue"] == 1.4 and row["pue_source"] == "configured"
    assert wb["By cluster"]["F2"].number_format == '#,##0.000 "kWh"'
    assert wb["By cluster"].freeze_panes == "B2"

    summary = _summary(wb["Summary"])
    assert summary["IT energy"] == pytest.approx(totals["energy_kwh"], rel=1e-9)
    assert summary["Facility energy"] == pytest.approx(totals["facility_energy_kwh"], rel=1e-9)
    assert summary["Carbon"] == pytest.approx(totals["carbon_grams"] / 1000, rel=1e-9)
    assert summary["Cost"] == pytest.approx(totals["cost"], rel=1e-9)
    assert summary["PUE"] == pytest.approx(1.4) and summary["Partial"] == "no"
    truth_total = sum(_cluster_truth_kwh(fp, c.name, start, end) for c in fp.fleet.clusters)
    assert close(summary["IT energy"], truth_total)

    eff = get(staff_api, EFFICIENCY, window="6h", time=int(end))["totals"]
    assert summary["GPU utilisation"] == pytest.approx(eff["gpu_utilization_percent"], rel=1e-9)
    assert summary["Idle accelerator waste"] == pytest.approx(eff["idle_waste_kwh"], rel=1e-9)
    assert summary["Idle waste cost"] == pytest.approx(eff["cost"], rel=1e-9)

    # Top namespaces: the ten largest non-idle rows of /monitoring/energy?group_by=namespace, in order.
    ns = get(staff_api, ENERGY, start=int(start), end=int(end), group_by="namespace")["results"]
    expected = sorted((r for r in ns if not r["idle"]), key=lambda r: -r["energy_kwh"])[:10]
    got = _sheet_rows(wb["Top namespaces"])
    assert [(r["cluster"], r["namespace"]) for r in got] == [(r["cluster"], r["namespace"]) for r in expected]
    for g, e in zip(got, expected, strict=True):
        assert g["energy_kwh"] == pytest.approx(e["energy_kwh"], rel=1e-9)
        truth = fp.truth.namespace_energy_kwh(g["cluster"], g["namespace"], start, end, scraped=True)["total"]
        assert close(g["energy_kwh"], truth), g

    # Power series: what /monitoring/timeseries/power gives for the same window and step, with a native chart.
    series_ws = wb["Power series"]
    rows = list(series_ws.iter_rows(values_only=True))
    step = int((rows[2][0] - rows[1][0]).total_seconds())
    api = get(staff_api, SERIES, start=int(start), end=int(end), step=step, group_by="cluster")
    assert len(rows) - 1 == len(api["timestamps"])
    for column, series in enumerate(api["results"], start=1):
        assert rows[0][column] == f"{series['cluster']} power_watts"
        assert [r[column] for r in rows[1:]] == pytest.approx(series["power_watts"], rel=1e-9)
    assert len(series_ws._charts) == 1 and series_ws.freeze_panes == "B2"


@pytest.mark.prometheus
@pytest.mark.django_db
def test_pdf_report_prints_the_api_numbers(staff_api, fleet_clusters, fleet_prometheus):
    fp = fleet_prometheus
    _economics(fleet_clusters)
    start, end = _window(fp)
    response = _report(staff_api, "pdf", start, end)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].endswith('.pdf"')
    _save("report.pdf", response.content)
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) >= 2
    assert reader.pages[0].mediabox.width == pytest.approx(595.27, abs=1)  # A4 portrait
    text = "\n".join(page.extract_text() for page in reader.pages)
    flat = re.sub(r"\s+", " ", text)
    per, totals = _api_by_cluster(staff_api, start, end)
    assert "Custom period report" in flat and "Key figures" in flat
    e = energy_digits(totals["energy_kwh"])
    assert num(totals["energy_kwh"], e) in flat
    assert num(totals["facility_energy_kwh"], e) in flat
    assert num(totals["carbon_grams"] / 1000, e) in flat
    assert f"{num(totals['cost'], money_digits([totals['cost']]))} KRW" in flat
    assert "configured" in flat
    for name, values in per.items():
        assert re.search(rf"{re.escape(name)} .*?{re.escape(num(values['energy_kwh'], e))}", flat), name
    eff = get(staff_api, EFFICIENCY, window="6h", time=int(end))["totals"]
    assert num(eff["gpu_utilization_percent"], 1) in flat
    assert num(eff["idle_waste_kwh"], e) in flat
    pages = len(reader.pages)
    assert f"Page 1 of {pages}" in flat and f"Page {pages} of {pages}" in flat
    assert "Generated" in flat and "Complete: every cluster answered" in flat
    for c in fp.fleet.clusters:
        assert c.name in reader.pages[-1].extract_text()  # the footer names the clusters on every page


@pytest.mark.prometheus
@pytest.mark.django_db
def test_a_dead_cluster_makes_the_report_say_partial(staff_api, fleet_clusters, fleet_prometheus, make_cluster):
    make_cluster("dead-cluster")
    start, end = _window(fleet_prometheus, hours=1)
    pdf = _report(staff_api, "pdf", start, end)
    _save("report-partial.pdf", pdf.content)
    flat = re.sub(r"\s+", " ", "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages))
    assert "Partial data" in flat and "dead-cluster did not answer" in flat
    assert "Total (partial)" in flat
    wb = load_workbook(io.BytesIO(_report(staff_api, "xlsx", start, end).content))
    summary = _summary(wb["Summary"])
    assert summary["Partial"].startswith("yes: dead-cluster")
    assert "dead-cluster" not in {r["cluster"] for r in _sheet_rows(wb["By cluster"])}


@pytest.mark.prometheus
@pytest.mark.django_db
def test_windows_beyond_the_history_say_so(staff_api, fleet_clusters, fleet_prometheus):
    fp = fleet_prometheus
    # The fleet's history begins an hour after its epoch: the first hour of this window has no data.
    start, end = fp.fleet.epoch, fp.fleet.epoch + 3 * 3600
    pdf = _report(staff_api, "pdf", start, end)
    _save("report-coverage.pdf", pdf.content)
    flat = re.sub(r"\s+", " ", "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages))
    assert "Incomplete data" in flat
    for c in fp.fleet.clusters:
        assert f"{c.name} has data only from" in flat
    # A window entirely before the history: no number is invented.
    old_end = fp.fleet.epoch - 86400
    xlsx = _report(staff_api, "xlsx", old_end - 6 * 3600, old_end)
    wb = load_workbook(io.BytesIO(xlsx.content))
    notes = [row[0] for row in wb["Summary"].iter_rows(values_only=True) if row[0] and "no power data" in row[0]]
    assert len(notes) == len(fp.fleet.clusters)
    summary = _summary(wb["Summary"])
    assert summary["IT energy"] is None and summary["Idle accelerator waste"] is None
    assert summary["Idle waste cost"] is None


@pytest.mark.prometheus
@pytest.mark.django_db
def test_named_period_downloads_a_file(staff_api, fleet_clusters, fleet_prometheus):
    response = staff_api.get(REPORT, {"period": "daily", "format": "pdf", "cluster": fleet_clusters[0].name})
    assert response.status_code == 200, response.content
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    yesterday = today - timedelta(days=1)
    expected = f"kcloud-report-{fleet_clusters[0].name}-{yesterday:%Y%m%d}-{today:%Y%m%d}.pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{expected}"'
    _save("report-daily.pdf", response.content)
    assert "Daily report" in PdfReader(io.BytesIO(response.content)).pages[0].extract_text()


@pytest.mark.prometheus
@pytest.mark.django_db
def test_a_scoped_token_reports_only_its_clusters(token_client, partner_operator, fleet_clusters, fleet_prometheus):
    allowed, other = fleet_clusters[0], fleet_clusters[1]
    api = token_client(partner_operator, clusters=[allowed])
    start, end = _window(fleet_prometheus, hours=1)
    wb = load_workbook(io.BytesIO(_report(api, "xlsx", start, end).content))
    assert {r["cluster"] for r in _sheet_rows(wb["By cluster"])} == {allowed.name}
    response = api.get(
        REPORT, {"period": "custom", "start": _iso(start), "end": _iso(end), "format": "pdf", "cluster": other.name}
    )
    assert response.status_code == 404


@pytest.mark.prometheus
@pytest.mark.django_db
def test_a_report_costs_four_requests_per_cluster(staff_api, fleet_clusters, fleet_prometheus, settings, monkeypatch):
    """Efficiency (with the energy counters) 1 + devices 2 + the power range 1, whatever the cluster's size."""
    settings.KCLOUD_CACHE_ENABLED = False  # every answer from Prometheus, nothing reused
    start, end = _window(fleet_prometheus, hours=1)
    with counting_requests(monkeypatch) as counts:
        _report(staff_api, "xlsx", start, end)
    assert set(counts) == {c.name for c in fleet_clusters}
    assert set(counts.values()) == {4}, counts


@pytest.mark.prometheus
@pytest.mark.django_db
@pytest.mark.parametrize("period", ["weekly", "monthly"])
def test_long_periods_beyond_the_history_say_what_is_missing(staff_api, fleet_clusters, fleet_prometheus, period):
    # The fixture keeps 25 h of history: last week and last month lie (almost) entirely before it.
    response = staff_api.get(REPORT, {"period": period, "format": "xlsx"})
    assert response.status_code == 200, response.content
    wb = load_workbook(io.BytesIO(response.content))
    notes = [r[0] for r in wb["Summary"].iter_rows(values_only=True) if r[0] and " data " in r[0] and "UTC" in r[0]]
    notes += [r[0] for r in wb["Summary"].iter_rows(values_only=True) if r[0] and "no power data" in r[0]]
    for c in fleet_clusters:
        assert any(note.startswith(c.name) for note in notes), (c.name, notes)
    pdf = staff_api.get(REPORT, {"period": period, "format": "pdf"})
    assert pdf.status_code == 200
    _save(f"report-{period}.pdf", pdf.content)
    assert "Incomplete data" in re.sub(r"\s+", " ", PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text())
