"""The report as an Excel workbook (openpyxl): Summary, By cluster, Top namespaces, Power series.

Numbers stay numbers (units in the header and in the number format, e.g.
``#,##0.000 "kWh"``), missing ones stay empty cells, never 0. Every sheet has
its header frozen; the power series sheet carries a native Excel line chart.
The report is small (a few hundred rows at most), so the normal, not the
write-only, mode is used: it is the one that can freeze panes and size columns freely.
Sheet names, labels and notes are in the active language; the data sheets' column
headers are the API's field names, which stay English (like the CSV exports').
"""

from __future__ import annotations

import io
import re
from datetime import datetime

from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from exports.report.data import Report

HEADER_FILL = PatternFill("solid", fgColor="0D1B2A")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=14, color="0D1B2A")
NOTE_FONT = Font(italic=True, color="9A6700")
KWH, KG, PCT, PUE, WATTS = '#,##0.000 "kWh"', '#,##0.000 "kg CO2e"', '0.0 "%"', "0.00", '#,##0.0 "W"'
TIME = "yyyy-mm-dd hh:mm"
# Excel refuses these in a sheet name, and names longer than 31 characters.
_SHEET_NAME_BAD = re.compile(r"[\\*?:/\[\]]")


def _naive(moment: datetime) -> datetime:
    # Excel has no time zones: cells hold UTC wall time, and the headers say "UTC".
    return moment.replace(tzinfo=None)


def _money_format(currency: str | None) -> str:
    return f'#,##0.00 "{currency}"' if currency else "#,##0.00"


def _kg(grams: float | None) -> float | None:
    return None if grams is None else grams / 1000.0


def _sheet_name(text: str, fallback: str) -> str:
    """A translated sheet name Excel accepts (never an error for a translation's punctuation)."""
    name = _SHEET_NAME_BAD.sub(" ", text).strip().strip("'")[:31].strip()
    return name or fallback


def _header(ws, row: int, names: list[str]) -> None:
    for col, name in enumerate(names, start=1):
        cell = ws.cell(row=row, column=col, value=name)
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _widths(ws, widths: list[int]) -> None:
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width


def _summary(ws, report: Report) -> None:
    k, w = report.kpis, report.window
    ws.title = _sheet_name(gettext("Summary"), "Summary")
    ws["A1"] = f"KCloud Monitor: {w.label}"
    ws["A1"].font = TITLE_FONT
    if report.partial:
        partial = gettext("yes: %(clusters)s did not answer") % {"clusters": ", ".join(report.missing)}
    else:
        # Translators: the answer to "Partial" in the report's summary: every cluster answered.
        partial = gettext("no")
    meta = [
        (gettext("Period start (UTC)"), _naive(w.start), TIME),
        (gettext("Period end (UTC, excluded)"), _naive(w.end), TIME),
        (gettext("Clusters"), ", ".join(report.clusters), None),
        (gettext("Generated (UTC)"), _naive(report.generated_at), TIME),
        (gettext("Partial"), partial, None),
    ]
    row = 3
    for label, value, fmt in meta:
        ws.cell(row=row, column=1, value=label).font = Font(bold=True)
        cell = ws.cell(row=row, column=2, value=value)
        if fmt:
            cell.number_format = fmt
        row += 1
    row += 1
    _header(ws, row, [gettext("Key figure"), gettext("Value"), gettext("Source / note")])
    header_row = row
    currency = k["currency"]
    if k["cost"] is not None or len(k["cost_by_currency"]) < 2:
        cost_note = gettext("facility kWh x electricity price")
    else:
        costs = ", ".join(f"{v:,.2f} {c}" for c, v in k["cost_by_currency"])
        cost_note = gettext("currencies differ: %(costs)s") % {"costs": costs}
    kpis = [
        (gettext("IT energy"), k["it_energy_kwh"], KWH, "CPU + DRAM + GPU + NPU"),
        (gettext("Facility energy"), k["facility_energy_kwh"], KWH, gettext("IT energy x PUE")),
        ("PUE", k["pue"], PUE, k["pue_source"]),
        (gettext("Carbon"), _kg(k["carbon_grams"]), KG, gettext("facility kWh x carbon intensity")),
        (gettext("Cost"), k["cost"], _money_format(currency), cost_note),
        (
            gettext("GPU utilisation"),
            k["gpu_utilization_percent"],
            PCT,
            gettext("mean over the period and the GPUs"),
        ),
        (
            gettext("NPU utilisation"),
            k["npu_utilization_percent"],
            PCT,
            gettext("mean over the period and the NPUs"),
        ),
        (
            gettext("Idle accelerator waste"),
            k["idle_waste_kwh"],
            KWH,
            gettext("GPU/NPU energy below 1 %% utilisation") % {},
        ),
        (gettext("Idle waste share of IT energy"), k["idle_waste_share_percent"], PCT, ""),
        (gettext("Idle waste cost"), k["idle_waste_cost"], _money_format(k["idle_waste_currency"]), ""),
    ]
    for label, value, fmt, note in kpis:
        row += 1
        ws.cell(row=row, column=1, value=label)
        ws.cell(row=row, column=2, value=value).number_format = fmt
        ws.cell(row=row, column=3, value=note)
    for note in report.notes:
        row += 2 if note is report.notes[0] else 1
        ws.cell(row=row, column=1, value=note).font = NOTE_FONT
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    _widths(ws, [32, 22, 60])


def _by_cluster(ws, report: Report) -> None:
    names = [
        "cluster", "cpu_energy_kwh", "dram_energy_kwh", "gpu_energy_kwh", "npu_energy_kwh", "energy_kwh",
        "facility_energy_kwh", "pue", "pue_source", "carbon_kg", "cost", "currency",
        "gpu_utilization_percent", "npu_utilization_percent", "idle_waste_kwh", "idle_waste_share_percent",
        "idle_waste_cost",
    ]  # fmt: skip
    formats = [None, KWH, KWH, KWH, KWH, KWH, KWH, PUE, None, KG, None, None, PCT, PCT, KWH, PCT, None]
    _header(ws, 1, names)
    for r, row in enumerate(report.by_cluster, start=2):
        values = [row.get(n) for n in names]
        values[names.index("carbon_kg")] = _kg(row.get("carbon_grams"))
        for c, (value, fmt) in enumerate(zip(values, formats, strict=True), start=1):
            cell = ws.cell(row=r, column=c, value=value)
            if names[c - 1] in ("cost", "idle_waste_cost"):
                cell.number_format = _money_format(row.get("currency"))
            elif fmt:
                cell.number_format = fmt
    ws.freeze_panes = "B2"
    _widths(ws, [16, *[14] * (len(names) - 1)])


def _namespaces(ws, report: Report) -> None:
    names = [
        "rank", "cluster", "namespace", "cpu_energy_kwh", "dram_energy_kwh", "gpu_energy_kwh", "npu_energy_kwh",
        "energy_kwh", "share_percent", "facility_energy_kwh", "carbon_kg", "cost", "currency", "pue", "pue_source",
    ]  # fmt: skip
    formats = [None, None, None, KWH, KWH, KWH, KWH, KWH, PCT, KWH, KG, None, None, PUE, None]
    _header(ws, 1, names)
    for r, row in enumerate(report.top_namespaces, start=2):
        values = [r - 1, *[row.get(n) for n in names[1:]]]
        values[names.index("carbon_kg")] = _kg(row.get("carbon_grams"))
        for c, (value, fmt) in enumerate(zip(values, formats, strict=True), start=1):
            cell = ws.cell(row=r, column=c, value=value)
            if names[c - 1] == "cost":
                cell.number_format = _money_format(row.get("currency"))
            elif fmt:
                cell.number_format = fmt
    ws.freeze_panes = "D2"
    _widths(ws, [6, 14, 22, *[14] * (len(names) - 3)])


def _series(ws, report: Report) -> None:
    clusters = [r["cluster"] for r in report.series]
    _header(ws, 1, ["timestamp (UTC)", *[f"{c} power_watts" for c in clusters], "total power_watts"])
    for i, moment in enumerate(report.series_timestamps):
        row = i + 2
        ws.cell(row=row, column=1, value=_naive(moment)).number_format = TIME
        values = [r["power_watts"][i] for r in report.series]
        for c, value in enumerate(values, start=2):
            ws.cell(row=row, column=c, value=value).number_format = WATTS
        known = [v for v in values if v is not None]
        ws.cell(row=row, column=len(values) + 2, value=sum(known) if known else None).number_format = WATTS
    ws.freeze_panes = "B2"
    _widths(ws, [18, *[20] * (len(clusters) + 1)])
    n = len(report.series_timestamps)
    if n < 2:
        return
    chart = LineChart()
    minutes = report.series_step_seconds // 60 or 1
    chart.title = gettext("IT power per cluster (W), every %(minutes)s min") % {"minutes": minutes}
    chart.y_axis.title = "W"
    chart.x_axis.title = "UTC"
    chart.x_axis.number_format = "mm-dd hh:mm"
    chart.height, chart.width = 9, 24
    data = Reference(ws, min_col=2, max_col=len(clusters) + 2, min_row=1, max_row=n + 1)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n + 1))
    for s in chart.series:
        s.smooth = False
        s.graphicalProperties.line.width = 15000  # EMU: 1.2 pt
    ws.add_chart(chart, f"{get_column_letter(len(clusters) + 4)}2")


def render_xlsx(report: Report) -> bytes:
    """The report as XLSX bytes."""
    wb = Workbook()
    _summary(wb.active, report)
    _by_cluster(wb.create_sheet(_sheet_name(gettext("By cluster"), "By cluster")), report)
    _namespaces(wb.create_sheet(_sheet_name(gettext("Top namespaces"), "Top namespaces")), report)
    _series(wb.create_sheet(_sheet_name(gettext("Power series"), "Power series")), report)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
