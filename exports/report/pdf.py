"""The report as an A4 PDF: a Django template (templates/exports/report_pdf.html) through xhtml2pdf.

The view-model here turns the :class:`Report` numbers into printed strings ("—"
for a missing number, never 0); the template only lays them out.
"""

from __future__ import annotations

import base64
import io

from django.template.loader import render_to_string

from exports.report.chart import power_chart_png
from exports.report.data import Report
from kcloud.templatetags.display import DASH, num

TIMES = "\u00d7"  # the multiplication sign, in Helvetica's WinAnsi set


class PdfError(RuntimeError):
    """xhtml2pdf could not lay the report out (a bug in the template, not bad input)."""


def energy_digits(total_kwh: float | None) -> int:
    """Decimals of every kWh figure of a report, from the size of its total (0.01 kWh is noise in a month)."""
    if total_kwh is None or total_kwh < 100:
        return 2
    return 1 if total_kwh < 100_000 else 0


def money_digits(values: list[float | None]) -> int:
    """Decimals of a column of money: none once amounts reach the thousands (KRW), else cents."""
    known = [abs(v) for v in values if v is not None]
    return 0 if known and max(known) >= 1000 else 2


def _kg(grams: float | None) -> float | None:
    return None if grams is None else grams / 1000.0


def _money(value: float | None, currency: str | None, digits: int | None = None) -> str:
    if value is None:
        return DASH
    digits = money_digits([value]) if digits is None else digits
    return f"{num(value, digits)} {currency}" if currency else num(value, digits)


def _cost_text(kpis: dict) -> tuple[str, str]:
    """The cost KPI as (value, unit); per currency when the clusters' currencies differ."""
    if kpis["cost"] is not None:
        digits = 0 if abs(kpis["cost"]) >= 1000 else 2
        return num(kpis["cost"], digits), kpis["currency"] or ""
    if len(kpis["cost_by_currency"]) > 1:
        return " + ".join(_money(v, c) for c, v in kpis["cost_by_currency"]), ""
    return DASH, ""


def _sum_parts(*values: float | None) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _kpis(report: Report, e: int) -> list[dict]:
    k = report.kpis
    cost_value, cost_unit = _cost_text(k)
    waste_note = []
    if k["idle_waste_share_percent"] is not None:
        waste_note.append(f"{num(k['idle_waste_share_percent'], 1)} % of IT energy")
    if k["idle_waste_cost"] is not None:
        waste_note.append(_money(k["idle_waste_cost"], k["idle_waste_currency"]))
    pue_note = k["pue_source"]
    return [
        {
            "label": "IT energy",
            "value": num(k["it_energy_kwh"], e),
            "unit": "kWh" if k["it_energy_kwh"] is not None else "",
            "note": "CPU + DRAM + GPU + NPU",
        },
        {
            "label": "Facility energy",
            "value": num(k["facility_energy_kwh"], e),
            "unit": "kWh" if k["facility_energy_kwh"] is not None else "",
            "note": f"IT energy {TIMES} PUE" if k["facility_energy_kwh"] is not None else "a cluster has no PUE",
        },
        {"label": "PUE", "value": num(k["pue"], 2), "unit": "", "note": pue_note},
        {
            "label": "Carbon",
            "value": num(_kg(k["carbon_grams"]), e),
            "unit": "kg CO2e" if k["carbon_grams"] is not None else "",
            "note": f"facility kWh {TIMES} carbon intensity",
        },
        {"label": "Cost", "value": cost_value, "unit": cost_unit, "note": f"facility kWh {TIMES} electricity price"},
        {
            "label": "GPU utilisation",
            "value": num(k["gpu_utilization_percent"], 1),
            "unit": "%" if k["gpu_utilization_percent"] is not None else "",
            "note": "mean over the period",
        },
        {
            "label": "NPU utilisation",
            "value": num(k["npu_utilization_percent"], 1),
            "unit": "%" if k["npu_utilization_percent"] is not None else "",
            "note": "mean over the period",
        },
        {
            "label": "Idle accelerator waste",
            "value": num(k["idle_waste_kwh"], e),
            "unit": "kWh" if k["idle_waste_kwh"] is not None else "",
            "note": " · ".join(waste_note),
        },
    ]


def _energy_cells(row: dict, e: int) -> dict:
    return {
        "cpu": num(row.get("cpu_energy_kwh"), e),
        "dram": num(row.get("dram_energy_kwh"), e),
        "gpu": num(row.get("gpu_energy_kwh"), e),
        "npu": num(row.get("npu_energy_kwh"), e),
        "it": num(row.get("energy_kwh"), e),
        "facility": num(row.get("facility_energy_kwh"), e),
        "carbon": num(_kg(row.get("carbon_grams")), e),
    }


def _step_text(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}" if count != 1 else unit
    return f"{seconds} s"


def _duration_text(seconds: int) -> str:
    if seconds % 86400 == 0:
        days = seconds // 86400
        return f"{days} day{'' if days == 1 else 's'}"
    return f"{seconds / 3600:.1f} h"


def context(report: Report) -> dict:
    """What ``exports/report_pdf.html`` prints."""
    w, k = report.window, report.kpis
    e = energy_digits(k["it_energy_kwh"])
    total = _energy_cells({**k, "energy_kwh": k["it_energy_kwh"]}, e)
    total.update(
        cpu=num(_sum_parts(*(r["cpu_energy_kwh"] for r in report.by_cluster)), e),
        dram=num(_sum_parts(*(r["dram_energy_kwh"] for r in report.by_cluster)), e),
        gpu=num(_sum_parts(*(r["gpu_energy_kwh"] for r in report.by_cluster)), e),
        npu=num(_sum_parts(*(r["npu_energy_kwh"] for r in report.by_cluster)), e),
        pue=num(k["pue"], 2),
        cost=" ".join(part for part in _cost_text(k) if part),
    )
    png = power_chart_png(report.series_timestamps, [(r["cluster"], r["power_watts"]) for r in report.series])
    cluster_money = money_digits([r["cost"] for r in report.by_cluster])
    waste_money = money_digits([r["idle_waste_cost"] for r in report.by_cluster])
    top_money = money_digits([r["cost"] for r in report.top_namespaces])
    answered = [o["name"] for o in report.outcomes if o["status"] == "ok"]
    return {
        "report": report,
        "title": w.label,
        "period_text": (
            f"{w.start:%Y-%m-%d %H:%M} to {w.end:%Y-%m-%d %H:%M} UTC ({_duration_text(w.seconds)}, end excluded)"
        ),
        "clusters_text": ", ".join(report.clusters) or "none visible",
        "source_text": ("clusters " + ", ".join(answered)) if answered else "no answering cluster",
        "generated_at": report.generated_at,
        "notes": report.notes,
        "kpis": _kpis(report, e),
        "chart_src": "data:image/png;base64," + base64.b64encode(png).decode("ascii"),
        "step_text": _step_text(report.series_step_seconds),
        "by_cluster": [
            {
                "cluster": r["cluster"],
                **_energy_cells(r, e),
                "pue": num(r["pue"], 2),
                "pue_source": r["pue_source"],
                "cost": _money(r["cost"], r["currency"], cluster_money),
            }
            for r in report.by_cluster
        ],
        "total": total,
        "efficiency": [
            {
                "cluster": r["cluster"],
                "gpu_util": num(r["gpu_utilization_percent"], 1),
                "npu_util": num(r["npu_utilization_percent"], 1),
                "waste": num(r["idle_waste_kwh"], e),
                "waste_share": num(r["idle_waste_share_percent"], 1),
                "waste_cost": _money(r["idle_waste_cost"], r["currency"], waste_money),
            }
            for r in report.by_cluster
        ],
        "top": [
            {
                "namespace": r["namespace"],
                "cluster": r["cluster"],
                "cpu_dram": num(_sum_parts(r["cpu_energy_kwh"], r["dram_energy_kwh"]), e),
                "gpu": num(r["gpu_energy_kwh"], e),
                "npu": num(r["npu_energy_kwh"], e),
                "it": num(r["energy_kwh"], e),
                "share": num(r["share_percent"], 1),
                "carbon": num(_kg(r["carbon_grams"]), e),
                "cost": _money(r["cost"], r["currency"], top_money),
            }
            for r in report.top_namespaces
        ],
        "namespace_count": report.namespace_count,
    }


def render_pdf(report: Report) -> bytes:
    """The report as PDF bytes."""
    from xhtml2pdf import pisa

    html = render_to_string("exports/report_pdf.html", context(report))
    out = io.BytesIO()
    status = pisa.CreatePDF(html, dest=out, encoding="utf-8")
    if status.err:
        raise PdfError(f"xhtml2pdf reported {status.err} error(s) while rendering the report")
    return out.getvalue()
