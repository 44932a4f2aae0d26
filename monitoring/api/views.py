"""``/api/v1/monitoring/...``: fleet power now, breakdowns and energy with PUE, carbon and cost.

* IT power is the nodes' power: DCMI wall power where the BMC measures it,
  else CPU (RAPL package, idle included) + DRAM + GPU + NPU. ``other`` is the
  wall power beyond the parts.
* Energy comes from counters through ``increase`` evaluated at the window's
  step-aligned end (Kepler joules, DCGM millijoules); NPU and DCMI power are
  gauges integrated on a 30 s grid (``sum_over_time(x[w-30s:30s]) x 30``; coarser
  grids beyond a day). A pod's GPU (NPU)
  energy is its devices' energy x its allocation share (MIG slices / 7,
  partition cores / card cores).
* PUE per cluster says its source: ``measured`` (the cluster's facility power
  query), ``configured`` (its design PUE) or ``unavailable`` (facility, carbon
  and cost are then null). carbon = IT kWh x PUE x intensity; cost = IT kWh x
  PUE x price.
* A cluster that does not answer is ``status: error`` in ``clusters`` and the
  totals say ``partial: true`` with ``missing_clusters``.
"""

from __future__ import annotations

from datetime import timedelta

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from clusters import placement
from clusters.api.base import CLUSTER
from clusters.api.base import ClusterScopedView as ClusterScopedView
from clusters.prometheus.cache import align, evaluation_time
from clusters.prometheus.fanout import fan_out, outcomes
from clusters.retention import check_start
from kcloud.api.params import parse_choice, parse_time_range, parse_top
from kcloud.api.views import PAGE, TIME
from kcloud.timeutil import from_unix, isoformat
from monitoring import queries
from monitoring.api import serializers as s
from monitoring.params import MIN_STEP_SECONDS, parse_energy_query, parse_series_query, parse_window
from monitoring.services import answers, breakdown, efficiency, grouping, metrics, power, timeseries
from monitoring.services.answers import sites_of

DOC = (__doc__ or "").partition("\n\n")[2]
_WINDOW = OpenApiParameter("window", str, description="Energy window ending at `time`: 5m ... (default 1h).")


def _iso(ts: float | None) -> str | None:
    return None if ts is None else isoformat(from_unix(ts))


class FleetPowerView(ClusterScopedView):
    """The fleet's power now: IT and facility power, per cluster and per resource type."""

    serializer_class = s.FleetPowerSerializer
    allowed_params = ("cluster", "time")

    @extend_schema(
        operation_id="monitoring_power", responses=s.FleetPowerSerializer, description=DOC, parameters=[CLUSTER, TIME]
    )
    def get(self, request):
        self.check_params()
        clusters, at = self.clusters(), evaluation_time(self.eval_time())
        sites = sites_of(clusters)
        results = power.fan_out_now(clusters, sites, at)
        body = power.fleet_power(results, sites)
        body.update(timestamp=_iso(at), clusters=outcomes(results), warnings=placement.answer_warnings(results))
        return Response(s.FleetPowerSerializer(body).data)


class PowerBreakdownView(ClusterScopedView):
    """Power now and energy over ``window``, grouped; explicit ``idle`` and ``unattributed`` rows."""

    serializer_class = s.BreakdownRowSerializer
    allowed_params = ("cluster", "time", "by", "window")

    @extend_schema(
        operation_id="monitoring_power_breakdown",
        responses=s.BreakdownRowSerializer(many=True),
        description=breakdown.__doc__,
        parameters=[
            OpenApiParameter("by", str, enum=list(breakdown.BYS), description="Grouping (default cluster)."),
            _WINDOW,
            CLUSTER,
            TIME,
            *PAGE,
        ],
    )
    def get(self, request):
        self.check_params()
        by = parse_choice("by", request.query_params.get("by"), breakdown.BYS, default="cluster")
        window = parse_window(request.query_params)
        clusters, at = self.clusters(), evaluation_time(self.eval_time())
        check_start(clusters, from_unix(at - window), "window")
        sites = sites_of(clusters)
        results = power.fan_out_now(clusters, sites, at, window)
        rows, totals = breakdown.breakdown(results, sites, by)
        return self.page(rows, s.BreakdownRowSerializer, results, at, totals=totals, by=by)


class EnergyView(ClusterScopedView):
    """Energy between ``start`` and ``end`` per group, with facility energy, carbon and cost."""

    serializer_class = s.EnergyRowSerializer
    allowed_params = ("cluster", "start", "end", "group_by", "idle")

    @extend_schema(
        operation_id="monitoring_energy",
        responses=s.EnergyRowSerializer(many=True),
        description=f"{DOC}\n\n{grouping.__doc__}",
        parameters=[
            OpenApiParameter("start", str, description="ISO 8601 or Unix seconds (default end - 24 h)."),
            OpenApiParameter("end", str, description="ISO 8601 or Unix seconds (default now); aligned to the step."),
            OpenApiParameter("group_by", str, enum=list(grouping.GROUP_BYS), description="Default namespace."),
            OpenApiParameter("idle", str, enum=list(grouping.IDLE_MODES), description="Default node."),
            CLUSTER,
            *PAGE,
        ],
    )
    def get(self, request):
        self.check_params()
        query = parse_energy_query(request.query_params)
        window, end = query.window_seconds, query.end.timestamp()
        clusters = self.clusters()
        check_start(clusters, query.start)
        table = answers.energy_table(clusters, end, window, query.group_by, query.idle)
        span = {"start": isoformat(query.start), "end": isoformat(query.end), "window_seconds": window}
        totals = {**table.totals, **span}
        extra = {"totals": totals, "group_by": query.group_by, "idle": query.idle}
        return self.page(table.rows, s.EnergyRowSerializer, table.results, end, **extra)


class EfficiencyView(ClusterScopedView):
    """PUE per cluster, accelerator utilisation, and the energy idle accelerators waste (with top offenders)."""

    serializer_class = s.EfficiencyRowSerializer
    allowed_params = ("cluster", "time", "window", "top")

    @extend_schema(
        operation_id="monitoring_efficiency",
        responses=s.EfficiencyRowSerializer(many=True),
        description=efficiency.__doc__,
        parameters=[
            OpenApiParameter("window", str, description="Window ending at `time` (default 24h)."),
            OpenApiParameter("top", int, description="Top offenders to list (1-100, default 10)."),
            CLUSTER,
            TIME,
            *PAGE,
        ],
    )
    def get(self, request):
        self.check_params()
        window = parse_window(request.query_params, default="24h")
        top = parse_top(request.query_params.get("top"))
        clusters = self.clusters()
        # The window ends on its integration grid, so answers are reproducible and cacheable.
        end = align(evaluation_time(self.eval_time()), queries.subquery_step(window))
        check_start(clusters, from_unix(end - window), "window")
        sites = sites_of(clusters)
        results = fan_out(
            clusters, lambda client, c: efficiency.fetch_efficiency(client, c, sites[c.name], end, window)
        )
        body = efficiency.summarize(results, sites, top)
        totals = {**body["totals"], "window_seconds": window}
        return self.page(body["rows"], s.EfficiencyRowSerializer, results, end, totals=totals, top=body["top"])


class PowerTimeseriesView(ClusterScopedView):
    """Power over time per cluster, resource type, namespace or node (series that add up)."""

    serializer_class = s.PowerSeriesSerializer
    allowed_params = ("cluster", "start", "end", "step", "group_by")

    @extend_schema(
        operation_id="monitoring_timeseries_power",
        responses=s.PowerSeriesSerializer(many=True),
        description=timeseries.__doc__,
        parameters=[
            OpenApiParameter("start", str, description="ISO 8601 or Unix seconds (default end - 24 h)."),
            OpenApiParameter("end", str, description="ISO 8601 or Unix seconds (default now)."),
            OpenApiParameter(
                "step", str, description="30s, 5m, ... (default: about 240 points; at most 11,000 points)."
            ),
            OpenApiParameter("group_by", str, enum=list(timeseries.GROUP_BYS), description="Default cluster."),
            CLUSTER,
            *PAGE,
        ],
    )
    def get(self, request):
        self.check_params()
        query = parse_series_query(request.query_params)
        span = query.span
        start, end, step = span.start.timestamp(), span.end.timestamp(), span.step_seconds
        clusters = self.clusters()
        check_start(clusters, span.start)
        series = answers.power_series(clusters, start, end, step, query.group_by)
        missing = series.missing
        extra = {
            "group_by": query.group_by,
            "step_seconds": step,
            "start": isoformat(span.start),
            "end": isoformat(span.end),
            "timestamps": [_iso(ts) for ts in series.timestamps],
            "totals": {"power_watts": series.total_watts, "partial": bool(missing), "missing_clusters": missing},
        }
        return self.page(series.rows, s.PowerSeriesSerializer, series.results, None, **extra)


class MetricTimeseriesView(ClusterScopedView):
    """Any catalog metric (GPU/NPU/node/pod) over time, grouped; ``?metric=`` is required."""

    serializer_class = s.MetricSeriesSerializer
    allowed_params = ("cluster", "start", "end", "step", "group_by", "metric")

    @extend_schema(
        operation_id="monitoring_timeseries_metrics",
        responses=s.MetricSeriesSerializer(many=True),
        description=metrics.__doc__,
        parameters=[
            OpenApiParameter(
                "metric",
                str,
                required=True,
                enum=list(metrics.METRICS),
                description="The metric (its unit is in its name). Rows carry the values under this name.",
            ),
            OpenApiParameter(
                "group_by",
                str,
                enum=list(metrics.GROUP_BYS),
                description="Default cluster; model is fleet-wide; gpu/npu/node/pod: one series per entity. "
                "Which apply depends on the metric's resource (a 400 lists them).",
            ),
            OpenApiParameter("start", str, description="ISO 8601 or Unix seconds (default end - 24 h)."),
            OpenApiParameter("end", str, description="ISO 8601 or Unix seconds (default now)."),
            OpenApiParameter(
                "step", str, description="30s, 5m, ... (default: about 240 points; at most 11,000 points)."
            ),
            CLUSTER,
            *PAGE,
        ],
    )
    def get(self, request):
        self.check_params()
        q = request.query_params
        spec, group_by = metrics.resolve(q.get("metric"), q.get("group_by"))
        span = parse_time_range(q, default_span=timedelta(hours=24), min_step=MIN_STEP_SECONDS)
        clusters = self.clusters()
        check_start(clusters, span.start)
        series = metrics.fetch_metric_series(
            clusters, spec, group_by, span.start.timestamp(), span.end.timestamp(), span.step_seconds
        )
        rows = [
            {**{k: v for k, v in row.items() if k != "points"}, "values": [v for _ts, v in row["points"]]}
            for row in series.rows
        ]
        extra = {
            "metric": spec.name,
            "unit": spec.unit,
            "aggregation": spec.aggregation,
            "resource": spec.resource,
            "group_by": group_by,
            "step_seconds": series.step_seconds,
            "start": _iso(series.start),
            "end": _iso(series.end),
            "timestamps": [_iso(ts) for ts in series.timestamps],
            "totals": {
                spec.name: [v for _ts, v in series.totals],
                "partial": series.partial,
                "missing_clusters": series.missing_clusters,
            },
        }
        return self.page(rows, s.metric_row_serializer(spec.name), series.results, None, **extra)
