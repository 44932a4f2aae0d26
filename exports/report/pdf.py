"""The report as an A4 PDF: a Django template (templates/exports/report_pdf.html) through xhtml2pdf.

The view-model here turns the :class:`Report` numbers into printed strings ("—"
for a missing number, never 0); the template only lays them out. Words are in the
active language (the request's); a Korean report embeds a Hangul font
(:mod:`exports.report.fonts`), an English one keeps the built-in Helvetica.
"""

from __future__ import annotations

import base64
import io

from django.template.loader import render_to_string
from django.utils.translation import gettext, ngettext

from exports.report.chart import power_chart_png
from exports.report.data import Report
from exports.report.fonts import ReportFont, report_font
from kcloud.templatetags.display import DASH, num


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
        waste_note.append(gettext("%(share)s %% of IT energy") % {"share": num(k["idle_waste_share_percent"], 1)})
    if k["idle_waste_cost"] is not None:
        waste_note.append(_money(k["idle_waste_cost"], k["idle_waste_currency"]))
    pue_note = k["pue_source"]
    mean = gettext("mean over the period")
    return [
        {
            "label": gettext("IT energy"),
            "value": num(k["it_energy_kwh"], e),
            "unit": "kWh" if k["it_energy_kwh"] is not None else "",
            "note": "CPU + DRAM + GPU + NPU",
        },
        {
            "label": gettext("Facility energy"),
            "value": num(k["facility_energy_kwh"], e),
            "unit": "kWh" if k["facility_energy_kwh"] is not None else "",
            # The multiplication sign is in Helvetica's WinAnsi set and in the Hangul font.
            "note": gettext("IT energy × PUE")  # noqa: RUF001
            if k["facility_energy_kwh"] is not None
            else gettext("a cluster has no PUE"),
        },
        {"label": "PUE", "value": num(k["pue"], 2), "unit": "", "note": pue_note},
        {
            "label": gettext("Carbon"),
            "value": num(_kg(k["carbon_grams"]), e),
            "unit": "kg CO2e" if k["carbon_grams"] is not None else "",
            "note": gettext("facility kWh × carbon intensity"),  # noqa: RUF001
        },
        {
            "label": gettext("Cost"),
            "value": cost_value,
            "unit": cost_unit,
            "note": gettext("facility kWh × electricity price"),  # noqa: RUF001
        },
        {
            "label": gettext("GPU utilisation"),
            "value": num(k["gpu_utilization_percent"], 1),
            "unit": "%" if k["gpu_utilization_percent"] is not None else "",
            "note": mean,
        },
        {
            "label": gettext("NPU utilisation"),
            "value": num(k["npu_utilization_percent"], 1),
            "unit": "%" if k["npu_utilization_percent"] is not None else "",
            "note": mean,
        },
        {
            "label": gettext("Idle accelerator waste"),
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


def _count_text(count: int, unit: str) -> str:
    """``"5 minutes"``, ``"1 day"``: a count of days, hours or minutes in the active language."""
    if unit == "day":
        return ngettext("%(count)s day", "%(count)s days", count) % {"count": count}
    if unit == "hour":
        return ngettext("%(count)s hour", "%(count)s hours", count) % {"count": count}
    return ngettext("%(count)s minute", "%(count)s minutes", count) % {"count": count}


def _unit_text(unit: str) -> str:
    """One day, hour or minute, as in "Mean power per hour"."""
    if unit == "day":
        # Translators: one step of the report chart, in "Mean power per %(step)s".
        return gettext("day")
    if unit == "hour":
        # Translators: one step of the report chart, in "Mean power per %(step)s".
        return gettext("hour")
    # Translators: one step of the report chart, in "Mean power per %(step)s".
    return gettext("minute")


def _step_text(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return _count_text(count, unit) if count != 1 else _unit_text(unit)
    return f"{seconds} s"


def _duration_text(seconds: int) -> str:
    if seconds % 86400 == 0:
        return _count_text(seconds // 86400, "day")
    return f"{seconds / 3600:.1f} h"


def _font_faces(font: ReportFont | None) -> list[dict]:
    """The ``@font-face`` rules of the report's font: regular and bold; italics use them too (no italic face)."""
    if font is None:
        return []
    return [
        {"src": font.regular.as_posix(), "weight": "normal", "style": "normal"},
        {"src": font.bold.as_posix(), "weight": "bold", "style": "normal"},
        {"src": font.regular.as_posix(), "weight": "normal", "style": "italic"},
        {"src": font.bold.as_posix(), "weight": "bold", "style": "italic"},
    ]


def context(report: Report, font: ReportFont | None = None) -> dict:
    """What ``exports/report_pdf.html`` prints; ``font``: a TrueType font for a non-Latin language."""
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
    png = power_chart_png(
        report.series_timestamps, [(r["cluster"], r["power_watts"]) for r in report.series], face=font
    )
    cluster_money = money_digits([r["cost"] for r in report.by_cluster])
    waste_money = money_digits([r["idle_waste_cost"] for r in report.by_cluster])
    top_money = money_digits([r["cost"] for r in report.top_namespaces])
    answered = [o["name"] for o in report.outcomes if o["status"] == "ok"]
    return {
        "report": report,
        "title": w.label,
        "font_family": font.family if font else None,
        "font_faces": _font_faces(font),
        "period_text": gettext("%(start)s to %(end)s UTC (%(duration)s, end excluded)")
        % {
            "start": f"{w.start:%Y-%m-%d %H:%M}",
            "end": f"{w.end:%Y-%m-%d %H:%M}",
            "duration": _duration_text(w.seconds),
        },
        "clusters_text": ", ".join(report.clusters) or gettext("none visible"),
        "answered_text": ", ".join(answered),
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


def _resource_policy(font: ReportFont | None):
    """What xhtml2pdf may read while rendering: nothing remote; locally, only the font's files."""
    if font is None:
        return None  # the report reads nothing (its chart is a data: URI): xhtml2pdf's default policy
    from xhtml2pdf.config.resources import ResourceAccessPolicy

    return ResourceAccessPolicy(allow_remote=False, base_dir=None, extra_roots=font.directories)


def render_pdf(report: Report) -> bytes:
    """The report as PDF bytes, in the active language."""
    from xhtml2pdf import pisa

    font = report_font()
    html = render_to_string("exports/report_pdf.html", context(report, font))
    out = io.BytesIO()
    status = pisa.CreatePDF(html, dest=out, encoding="utf-8", resource_policy=_resource_policy(font))
    if status.err:
        raise PdfError(f"xhtml2pdf reported {status.err} error(s) while rendering the report")
    return out.getvalue()
