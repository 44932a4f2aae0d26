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
from django.utils.translation import deactivate, override
from openpyxl import load_workbook
from pypdf import PdfReader

from exports import schedules
from exports.models import ReportSchedule
from exports.report import fonts
from exports.report.data import Coverage, Report
from exports.report.pdf import energy_digits, money_digits, render_pdf
from exports.report.period import Window, resolve_window
from exports.report.xlsx import _sheet_name, render_xlsx
from kcloud.api.errors import BadParameter
from kcloud.templatetags.display import num
from kcloud.timeutil import from_unix
from tests.exports.stamps import stamp
from tests.monitoring.helpers import ENERGY, J_PER_KWH, PARTS, close, get, set_economics, window_end
from tests.promcount import counting_requests
from tests.services import require

REPORT = "/api/v1/export/report"
EFFICIENCY = "/api/v1/monitoring/efficiency"
SERIES = "/api/v1/monitoring/timeseries/power"
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "reports"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _default_language_afterwards():
    """A request activates its language for the rest of the thread: the next test starts in the default one."""
    yield
    deactivate()


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


# --- in Korean (Accept-Language: ko): the words change, the numbers and the field names do not ----


def _fonts_of(pdf: bytes) -> set[str]:
    """The base names of the fonts a PDF uses ("NanumGothic" for "/AAAAAA+NanumGothic")."""
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]).lstrip("/").split("+")[-1])
    return names


def _require_hangul_font() -> None:
    require(fonts.NANUM_GOTHIC.regular.is_file(), "NanumGothic not installed (apt-get install fonts-nanum)")


def _offline_report() -> Report:
    """A small report with every part filled (two clusters, a gap, a coverage note), no Prometheus needed."""
    window = resolve_window("daily", now=NOW)
    stamps = [window.start + timedelta(hours=h) for h in range(25)]
    row = {
        "cpu_energy_kwh": 10.0, "dram_energy_kwh": 2.0, "gpu_energy_kwh": 100.0, "npu_energy_kwh": 5.0,
        "energy_kwh": 117.0, "facility_energy_kwh": 163.8, "carbon_grams": 70434.0, "cost": 27600.0,
        "currency": "KRW", "pue": 1.4, "pue_source": "configured", "gpu_utilization_percent": 41.2,
        "npu_utilization_percent": None, "idle_waste_kwh": 3.2, "idle_waste_share_percent": 2.7,
        "idle_waste_cost": 539.2,
    }  # fmt: skip
    by_cluster = [{**row, "cluster": "seoul-a"}, {**row, "cluster": "busan-b"}]
    kpis = {
        "it_energy_kwh": 234.0, "facility_energy_kwh": 327.6, "pue": 1.4, "pue_source": "configured",
        "carbon_grams": 140868.0, "cost": 55200.0, "currency": "KRW", "cost_by_currency": [("KRW", 55200.0)],
        "gpu_utilization_percent": 41.2, "npu_utilization_percent": None, "idle_waste_kwh": 6.4,
        "idle_waste_share_percent": 2.7, "idle_waste_cost": 1078.4, "idle_waste_currency": "KRW",
    }  # fmt: skip
    return Report(
        window=window,
        generated_at=NOW,
        clusters=["busan-b", "seoul-a"],
        requested=[],
        outcomes=[{"name": "busan-b", "status": "ok"}, {"name": "seoul-a", "status": "ok"}],
        missing=[],
        kpis=kpis,
        by_cluster=by_cluster,
        top_namespaces=[{**r, "namespace": "training", "share_percent": 50.0} for r in by_cluster],
        namespace_count=2,
        series_timestamps=stamps,
        series=[
            {"cluster": "seoul-a", "power_watts": [None] * 3 + [4800.0] * 22},
            {"cluster": "busan-b", "power_watts": [4900.0] * 25},
        ],
        series_step_seconds=3600,
        coverage=[Coverage("seoul-a", stamps[3], stamps[-1], False, 21.0)],
    )


@pytest.fixture
def hangul_font_cache():
    """Forget the looked-up font before and after the test (it is looked up once per process)."""
    fonts.hangul_font.cache_clear()
    yield
    fonts.hangul_font.cache_clear()


def test_period_headings_in_korean():
    with override("ko"):
        assert resolve_window("daily", now=NOW).label == "일간 보고서 (2026-11-25)"
        assert resolve_window("weekly", now=NOW).label == "주간 보고서 (2026-W47)"
        assert resolve_window("monthly", now=datetime(2027, 1, 3, tzinfo=UTC)).label == "월간 보고서 (2026년 12월)"
        assert Window("custom", NOW - timedelta(hours=6), NOW).label == "사용자 지정 기간 보고서"
    # And back in English outside the override.
    assert resolve_window("monthly", now=datetime(2027, 1, 3, tzinfo=UTC)).label == "Monthly report, December 2026"


def test_korean_offline_report_words(hangul_font_cache):
    _require_hangul_font()
    report = _offline_report()
    with override("ko"):
        assert report.notes == [
            "seoul-a 클러스터는 2026-11-25 03:00부터 2026-11-26 00:00 UTC까지만 데이터가 있습니다(24.0 h 중 21.0 h). "
            "기간이 Prometheus 보존 이력을 벗어나므로 수치는 데이터가 있는 부분만 반영합니다."
        ]
        wb = load_workbook(io.BytesIO(render_xlsx(report)))
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(render_pdf(report))).pages)
    assert wb.sheetnames == ["요약", "클러스터별", "상위 네임스페이스", "전력 시계열"]
    summary = _summary(wb["요약"])
    assert summary["IT 에너지"] == 234.0 and summary["일부 결과"] == "아니요"
    flat = re.sub(r"\s+", " ", text)
    assert "일간 보고서 (2026-11-25)" in flat and "주요 지표" in flat and "1시간 단위 평균 전력" in flat
    assert "234.0 kWh" in flat and "Key figures" not in flat


def test_an_english_pdf_keeps_helvetica_and_a_korean_one_embeds_a_hangul_font(hangul_font_cache):
    _require_hangul_font()
    report = _offline_report()
    english = render_pdf(report)
    assert english.startswith(b"%PDF") and not any(name.startswith("Nanum") for name in _fonts_of(english))
    assert "Helvetica" in _fonts_of(english)
    with override("ko"):
        korean = render_pdf(report)
    assert korean.startswith(b"%PDF") and {"NanumGothic", "NanumGothicBold"} <= _fonts_of(korean)


def test_without_the_hangul_font_a_korean_report_still_renders_and_says_so_once(
    hangul_font_cache, monkeypatch, tmp_path, caplog
):
    missing = fonts.ReportFont("NanumGothic", tmp_path / "NanumGothic.ttf", tmp_path / "NanumGothicBold.ttf")
    monkeypatch.setattr(fonts, "NANUM_GOTHIC", missing)
    report = _offline_report()
    with caplog.at_level("WARNING", logger="exports.report.fonts"), override("ko"):
        first, second = render_pdf(report), render_pdf(report)
        assert render_xlsx(report).startswith(b"PK")
    assert first.startswith(b"%PDF") and second.startswith(b"%PDF")
    assert not any(name.startswith("Nanum") for name in _fonts_of(first))
    warnings = [r for r in caplog.records if r.name == "exports.report.fonts"]
    assert len(warnings) == 1 and "fonts-nanum" in warnings[0].getMessage()


def test_a_translated_sheet_name_always_suits_excel():
    assert _sheet_name("전력 시계열", "Power series") == "전력 시계열"
    assert _sheet_name("a/b:c*d?[e]\\f", "x") == "a b c d  e  f"
    assert len(_sheet_name("가" * 40, "x")) == 31
    assert _sheet_name("[]", "Summary") == "Summary"


@pytest.mark.prometheus
@pytest.mark.django_db
def test_korean_xlsx_report_has_korean_words_and_the_same_numbers(staff_api, fleet_clusters, fleet_prometheus):
    _economics(fleet_clusters)
    start, end = _window(fleet_prometheus)
    query = {"period": "custom", "start": _iso(start), "end": _iso(end), "format": "xlsx"}
    response = staff_api.get(REPORT, query, HTTP_ACCEPT_LANGUAGE="ko")
    assert response.status_code == 200, response.content
    assert response["Content-Language"] == "ko"
    _save("report-ko.xlsx", response.content)
    korean = load_workbook(io.BytesIO(response.content))
    english = load_workbook(io.BytesIO(_report(staff_api, "xlsx", start, end).content))
    assert korean.sheetnames == ["요약", "클러스터별", "상위 네임스페이스", "전력 시계열"]
    assert korean["요약"]["A1"].value == "KCloud Monitor: 사용자 지정 기간 보고서"
    ko, en = _summary(korean["요약"]), _summary(english["Summary"])
    pairs = {
        "IT 에너지": "IT energy",
        "시설 에너지": "Facility energy",
        "PUE": "PUE",
        "탄소 배출": "Carbon",
        "비용": "Cost",
        "GPU 사용률": "GPU utilisation",
        "유휴 가속기 낭비": "Idle accelerator waste",
        "유휴 낭비 비용": "Idle waste cost",
    }
    for ko_label, en_label in pairs.items():
        assert ko[ko_label] == en[en_label], ko_label
    assert ko["일부 결과"] == "아니요" and ko["주요 지표"] == "값"
    # The data sheets' columns are the API's field names, in every language.
    assert _sheet_rows(korean["클러스터별"]) == _sheet_rows(english["By cluster"])
    assert _sheet_rows(korean["상위 네임스페이스"]) == _sheet_rows(english["Top namespaces"])
    chart = korean["전력 시계열"]._charts[0]
    assert chart.title.tx.rich.p[0].r[0].t.startswith("클러스터별 IT 전력 (W), ")


@pytest.mark.prometheus
@pytest.mark.django_db
def test_korean_pdf_report_is_korean_with_the_same_numbers(staff_api, fleet_clusters, fleet_prometheus):
    _require_hangul_font()
    _economics(fleet_clusters)
    start, end = _window(fleet_prometheus)
    query = {"period": "custom", "start": _iso(start), "end": _iso(end), "format": "pdf"}
    response = staff_api.get(REPORT, query, HTTP_ACCEPT_LANGUAGE="ko")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    _save("report-ko.pdf", response.content)
    assert {"NanumGothic", "NanumGothicBold"} <= _fonts_of(response.content)
    reader = PdfReader(io.BytesIO(response.content))
    flat = re.sub(r"\s+", " ", "\n".join(page.extract_text() for page in reader.pages))
    assert "사용자 지정 기간 보고서" in flat and "주요 지표" in flat and "클러스터별 에너지" in flat
    assert "완전한 데이터: 모든 클러스터가 응답했고" in flat
    assert "Key figures" not in flat and "Energy by cluster" not in flat
    _per, totals = _api_by_cluster(staff_api, start, end)
    e = energy_digits(totals["energy_kwh"])
    assert num(totals["energy_kwh"], e) in flat
    assert f"{num(totals['cost'], money_digits([totals['cost']]))} KRW" in flat


@pytest.mark.prometheus
@pytest.mark.django_db
def test_scheduled_reports_stay_english_whatever_language_is_active(fleet_clusters, fleet_prometheus, mail):
    schedule = ReportSchedule.objects.create(
        name="ops daily", period="daily", format="xlsx", recipients="ops@example.com"
    )
    now = from_unix(fleet_prometheus.deployment.history_end)
    with override("ko"):  # e.g. made while serving a Korean request: still settings.LANGUAGE_CODE
        archived = schedules.make(schedule, now)
    assert archived is not None and archived.status == "ready"
    wb = load_workbook(io.BytesIO(bytes(archived.content)))
    assert wb.sheetnames == ["Summary", "By cluster", "Top namespaces", "Power series"]
    assert wb["Summary"]["A1"].value.startswith("KCloud Monitor: Daily report, ")
    assert len(mail.messages) == 1
    assert b"Subject: KCloud Monitor: ops daily (" in mail.messages[0].content
    assert b"The daily report of the period from" in mail.messages[0].content
