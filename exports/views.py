"""The exports page (``/exports/``): a form that downloads from the ``/api/v1/export/*`` endpoints.

The form submits to :func:`download`, which turns the form's fields (a window
preset or UTC dates, the dataset's own options) into that endpoint's query and
redirects there: the browser then downloads with its session, from the very API
a script would call. Without JavaScript that is all; with it
(``static/js/exports-page.js``) the page fetches the same URL, shows an API
error next to the form and saves the file under the name the API gives it.
Every value is validated by the API itself (400 naming the parameter); this
view only checks what it needs to build the URL.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from clusters.scope import Principal
from exports.formats import DATASET_FORMATS, DESCRIPTIONS
from exports.report import PERIODS
from exports.schedules import visible_schedules
from kcloud import timerange
from kcloud.api.errors import BadParameter, envelope
from kcloud.api.params import parse_choice, parse_time
from kcloud.auth import roles
from kcloud.auth.middleware import requires
from kcloud.timeutil import isoformat, utcnow
from monitoring.services import grouping, timeseries
from monitoring.services.metric_catalog import METRICS

DATASETS = {
    "power": (_("Power time series"), _("Power over time per cluster, resource type, namespace or node (W).")),
    "energy": (
        _("Energy table"),
        _("Chargeback: kWh by resource type, facility kWh, carbon and cost per group."),
    ),
    "metrics": (
        _("Metric time series"),
        _("Any GPU, NPU, node or pod metric over time, one series per resource."),
    ),
    "report": (
        _("Management report"),
        _("The period's report: key figures, energy by cluster, top namespaces, chart."),
    ),
}
WINDOWS = (("1h", _("Last hour")), ("6h", _("Last 6 hours")), ("24h", _("Last 24 hours")), ("7d", _("Last 7 days")))
WINDOW_SECONDS = {"1h": 3600, "6h": 6 * 3600, "24h": 86400, "7d": 7 * 86400}
PERIOD_LABELS = {
    "daily": _("Yesterday (daily)"),
    "weekly": _("Last week (weekly)"),
    "monthly": _("Last month (monthly)"),
    "custom": _("Custom dates"),
}
STEPS = (
    ("", _("Automatic")),
    ("1m", _("1 minute")),
    ("5m", _("5 minutes")),
    ("15m", _("15 minutes")),
    ("1h", _("1 hour")),
)
POWER_GROUPS = {
    "cluster": _("Cluster"),
    "resource_type": _("Resource type"),
    "namespace": _("Namespace"),
    "node": _("Node"),
}
ENERGY_GROUPS = {"namespace": _("Namespace"), "cluster": _("Cluster"), "node": _("Node"), "pod": _("Pod")}
IDLE_LABELS = {
    "node": _("Idle energy as rows of their own"),
    "share": _("Idle energy shared over the node's pods"),
}


def _utc_input(name: str, value: str | None) -> str | None:
    """A ``datetime-local``/``date`` field, read as UTC, to ISO 8601 (None when empty)."""
    if not value:
        return None
    text = value.strip()
    if len(text) == 10:  # a date alone: its midnight
        text += "T00:00"
    return isoformat(parse_time(name, text))


def _window(request: HttpRequest, now: datetime) -> list[tuple[str, str]]:
    """``start``/``end`` of the data exports: a preset ending now (to the minute) or custom UTC times."""
    preset = parse_choice("window", request.GET.get("window") or None, (*WINDOW_SECONDS, "custom"), default="24h")
    if preset == "custom":
        start, end = _utc_input("start", request.GET.get("start")), _utc_input("end", request.GET.get("end"))
        if start is None:
            raise BadParameter("start", "is required for a custom window.")
        return [("start", start), *([("end", end)] if end else [])]
    end_at = now.replace(second=0, microsecond=0)
    start_at = end_at - timedelta(seconds=WINDOW_SECONDS[preset])
    return [("start", isoformat(start_at)), ("end", isoformat(end_at))]


def _report_days(request: HttpRequest, now: datetime) -> list[tuple[str, str]]:
    """A custom report's dates: from the first day's midnight through the last day (included), cut at now."""
    out = []
    start = _utc_input("start", request.GET.get("report_start"))
    if start:
        out.append(("start", start))
    end = _utc_input("end", request.GET.get("report_end"))
    if end:
        end_at = min(parse_time("end", end) + timedelta(days=1), now.replace(second=0, microsecond=0))
        out.append(("end", isoformat(end_at)))
    return out


def export_query(request: HttpRequest, now: datetime | None = None) -> tuple[str, list[tuple[str, str]]]:
    """The dataset and the API query for the submitted form (only the parameters that dataset takes)."""
    now = now or utcnow()
    q = request.GET
    what = parse_choice("what", q.get("what") or None, tuple(DATASETS), default="energy")
    query: list[tuple[str, str]] = [("format", q.get(f"format_{what}") or q.get("format") or DATASET_FORMATS[what][0])]
    if what == "report":
        period = q.get("period") or "weekly"
        query.append(("period", period))
        if period == "custom":
            query += _report_days(request, now)
    else:
        query += _window(request, now)
    if what == "power":
        query.append(("group_by", q.get("power_group_by") or "cluster"))
    if what == "energy":
        query += [("group_by", q.get("energy_group_by") or "namespace"), ("idle", q.get("idle") or "node")]
    if what == "metrics":
        query.append(("metric", q.get("metric") or ""))
    if what in ("power", "metrics") and q.get("step"):
        query.append(("step", q["step"]))
    query += [("cluster", c) for c in q.getlist("cluster") if c]
    if query[0] == ("format", "csv") and q.get("bom") == "true":
        query.append(("bom", "true"))  # the page's checkbox, on by default: spreadsheets read Korean right
    return what, query


@requires(roles.OPERATE)
def exports_page(request: HttpRequest) -> HttpResponse:
    """The form: what, window, grouping, metric, cluster and format, with what each format is."""
    principal = Principal.from_request(request)
    metrics = sorted(METRICS.values(), key=lambda m: (m.resource, m.name))
    context = {
        "datasets": [(key, label, text, DATASET_FORMATS[key]) for key, (label, text) in DATASETS.items()],
        "formats": [(name, DESCRIPTIONS[name]) for name in DESCRIPTIONS],
        "windows": WINDOWS,
        "periods": [(p, PERIOD_LABELS[p]) for p in PERIODS],
        "steps": STEPS,
        "power_groups": [(g, POWER_GROUPS.get(g, g)) for g in timeseries.GROUP_BYS],
        "energy_groups": [(g, ENERGY_GROUPS.get(g, g)) for g in grouping.GROUP_BYS],
        "idle_modes": [(m, IDLE_LABELS.get(m, m)) for m in grouping.IDLE_MODES],
        "metrics": [{"name": m.name, "resource": m.resource, "description": m.description} for m in metrics],
        "clusters": [c.name for c in principal.visible_clusters()],
        "schedules": visible_schedules(principal).prefetch_related("clusters"),
        "formats_url": reverse("api-export-formats"),
        **_window_choice(timerange.for_request(request)),
    }
    return render(request, "exports/page.html", context)


def _window_choice(time_range: timerange.PageRange) -> dict:
    """The export window the form starts on: the range the user carried here from the pages."""
    if time_range.preset in WINDOW_SECONDS:
        return {"export_window": time_range.preset, "export_from": "", "export_to": ""}
    return {"export_window": "custom", "export_from": time_range.from_input, "export_to": time_range.to_input}


@requires(roles.OPERATE)
def download(request: HttpRequest) -> HttpResponse:
    """Redirect the form to the export endpoint it describes (the API validates every value)."""
    try:
        what, query = export_query(request)
    except BadParameter as exc:
        return JsonResponse(envelope(exc.error_code, str(exc.detail), exc.details), status=400)
    return HttpResponseRedirect(f"{reverse(f'api-export-{what}')}?{urlencode(query)}")
