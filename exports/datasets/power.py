"""``/export/power``: the power series of ``/monitoring/timeseries/power`` in long format, with a summary.

Rows are ``timestamp, <group fields>, power_watts`` (one row per series and
timestamp, series after series); the numbers are the JSON answer's, computed by
:func:`monitoring.services.answers.power_series`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from clusters.prometheus.fanout import outcomes
from clusters.retention import check_start
from exports.dataset import Batch, Chart, Column, Dataset
from exports.datasets.common import Batcher, check_points, span_parameters
from kcloud.timeutil import from_unix, isoformat
from monitoring.params import parse_series_query
from monitoring.services import answers

GROUP_FIELDS = {
    "cluster": ("cluster",),
    "node": ("cluster", "node"),
    "namespace": ("cluster", "namespace"),
    "resource_type": ("resource_type",),
}
# Series drawn in the workbook's chart besides the total (the largest by mean power).
CHART_SERIES = 10


def _stats(values: list[float | None]) -> dict:
    known = [v for v in values if v is not None]
    return {
        "samples": len(known),
        "mean_power_watts": sum(known) / len(known) if known else None,
        "min_power_watts": min(known) if known else None,
        "max_power_watts": max(known) if known else None,
    }


def _label(row: dict, fields: tuple[str, ...]) -> str:
    return "/".join(str(row.get(f) or "") for f in fields)


def build(clusters: list, requested: list[str], params: Mapping[str, str]) -> Dataset:
    """Fetch the series (as the JSON API does) and wrap them; 400 above the point limit."""
    query = parse_series_query(params)
    check_start(clusters, query.span.start)
    span = query.span
    fields = GROUP_FIELDS[query.group_by]
    start, end, step = span.start.timestamp(), span.end.timestamp(), span.step_seconds
    check_points(span.points, step)  # one series already too long: no need to ask Prometheus
    series = answers.power_series(clusters, start, end, step, query.group_by)
    stamps, rows = series.timestamps, series.rows
    total_rows = len(rows) * len(stamps)
    check_points(total_rows, step)

    columns = [
        Column("timestamp", "timestamp", None, "Evaluation instant (UTC, aligned to the step)."),
        *(Column(f, "string") for f in fields),
        Column("power_watts", "float", "W", "Mean power of the step (null where the sources had no sample)."),
    ]

    def batches() -> Iterator[Batch]:
        batcher = Batcher([c.name for c in columns])
        n = len(stamps)
        for row in rows:
            slice_ = {"timestamp": stamps, "power_watts": row["power_watts"]}
            for f in fields:
                slice_[f] = [row.get(f)] * n
            yield from batcher.add(slice_, n)
        yield from batcher.flush()

    total = _stats(series.total_watts)
    peak = max((v, i) for i, v in enumerate(series.total_watts) if v is not None) if total["samples"] else None
    summary = {
        "group_by": query.group_by,
        "step_seconds": step,
        "start": isoformat(span.start),
        "end": isoformat(span.end),
        "timestamps": len(stamps),
        "series": len(rows),
        "rows": total_rows,
        "total": {**total, "peak_at": isoformat(from_unix(stamps[peak[1]])) if peak else None},
        "groups": [{**{f: r.get(f) for f in fields}, **_stats(r["power_watts"])} for r in rows],
        "partial": bool(series.missing),
        "missing_clusters": series.missing,
    }
    ranked = sorted(rows, key=lambda r: -(_stats(r["power_watts"])["mean_power_watts"] or 0.0))[:CHART_SERIES]
    chart = Chart(
        title="Power (W)",
        y_title="power_watts",
        columns=["timestamp", "total_power_watts", *(_label(r, fields) for r in ranked)],
        rows=[(ts, series.total_watts[i], *(r["power_watts"][i] for r in ranked)) for i, ts in enumerate(stamps)],
    )
    return Dataset(
        name="power",
        title="Power time series",
        columns=columns,
        batches=batches,
        summary=summary,
        parameters=span_parameters(
            span.start, span.end, step_seconds=step, group_by=query.group_by, cluster=requested or "all"
        ),
        clusters=outcomes(series.results),
        requested=requested,
        start=span.start,
        end=span.end,
        total_rows=total_rows,
        chart=chart,
    )
