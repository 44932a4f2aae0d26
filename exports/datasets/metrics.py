"""``/export/metrics``: a catalog metric as one series per resource (GPU, NPU, node or pod), in long format.

Rows are ``timestamp, cluster, <the resource's identifying fields>, <metric>``
(e.g. ``timestamp, cluster, node, uuid, index, model, gpu_power_watts``), from
:func:`monitoring.services.metrics.fetch_metric_series` grouped by the resource
itself: the numbers of ``/monitoring/timeseries/metrics?group_by=gpu``.

A per-device export can be millions of points, so the window is fetched in
**time chunks** while the file is written: a short first chunk (before the
response starts, so an export above ``KCLOUD_EXPORT_MAX_POINTS`` is still a 400),
then chunks of about :data:`CHUNK_POINTS` points. Gauges are evaluated at each
step-aligned instant, so chunking does not change a value. Memory holds two chunks
at a time (one written, the next one fetched meanwhile). Requests per cluster stay
bounded, whatever the fleet: at most ``KCLOUD_EXPORT_MAX_POINTS / CHUNK_POINTS + 2``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import timedelta

from clusters.prometheus.gcpause import gc_paused
from clusters.prometheus.threads import beside
from clusters.retention import check_start
from exports.dataset import Batch, Column, Dataset
from exports.datasets.common import Batcher, check_points, span_parameters
from kcloud.api.errors import BadParameter
from kcloud.api.params import parse_choice, parse_time_range
from kcloud.timeutil import isoformat
from monitoring.params import MIN_STEP_SECONDS
from monitoring.services import metrics
from monitoring.services.metric_catalog import RESOURCES

# Points per chunk (all series): ~50 MB while parsed and merged; two chunks live at
# once (one written, the next one fetched).
CHUNK_POINTS = 80_000
# The first chunk only learns how many series there are.
FIRST_CHUNK_STEPS = 30
_INT_FIELDS = {"index"}


def _chunks(first: float, last: float, step: int, steps: int) -> Iterator[tuple[float, float]]:
    """``[start, end]`` pairs of at most ``steps`` grid points covering ``[first, last]``."""
    start = first
    while start <= last:
        end = min(last, start + (steps - 1) * step)
        yield start, end
        start = end + step


def _slices(rows: list[dict], fields: tuple[str, ...], name: str) -> list[tuple[dict, int]]:
    """Each series' points as columns (``timestamp``, the identifying fields, the value)."""
    out = []
    for row in rows:
        points = row["points"]
        n = len(points)
        part = {"timestamp": [p[0] for p in points], name: [p[1] for p in points]}
        for f in fields:
            part[f] = [row.get(f)] * n
        out.append((part, n))
    return out


def build(clusters: list, requested: list[str], params: Mapping[str, str]) -> Dataset:
    """Validate, fetch the first chunk (series count → point limit), and wrap the rest lazily."""
    spec, _ = metrics.resolve(params.get("metric"), None)
    resource = parse_choice("resource", params.get("resource"), tuple(RESOURCES), default=spec.resource)
    if resource != spec.resource:
        raise BadParameter("resource", f"{spec.name} is a metric of {spec.resource}, not of {resource}.")
    entity = RESOURCES[resource]
    span = parse_time_range(params, default_span=timedelta(hours=24), min_step=MIN_STEP_SECONDS)
    check_start(clusters, span.start)
    start, end, step = span.start.timestamp(), span.end.timestamp(), span.step_seconds
    check_points(span.points, step)

    first_end = min(end, start + (FIRST_CHUNK_STEPS - 1) * step)
    head = metrics.fetch_metric_series(clusters, spec, entity.entity, start, first_end, step)
    series_count = max(1, len(head.rows))
    check_points(series_count * span.points, step)

    fields = ("cluster", *entity.entity_fields)
    columns = [
        Column("timestamp", "timestamp", None, "Evaluation instant (UTC, aligned to the step)."),
        *(Column(f, "int" if f in _INT_FIELDS else "string") for f in fields),
        Column(spec.name, "float", spec.unit, f"{spec.description} ({spec.aggregation} over the resource)."),
    ]
    missing: dict[str, None] = dict.fromkeys(head.missing_clusters)
    summary = {
        "metric": spec.name,
        "unit": spec.unit,
        "aggregation": spec.aggregation,
        "resource": resource,
        "description": spec.description,
        "start": isoformat(span.start),
        "end": isoformat(span.end),
        "step_seconds": step,
        "timestamps": span.points,
        "series": len(head.rows),
        "rows": 0,
        "partial": bool(missing),
        "missing_clusters": list(missing),
    }

    def fetch(chunk_start: float, chunk_end: float) -> tuple[list[tuple[dict, int]], list[str], int]:
        """One chunk as column slices (in the prefetch thread; no database)."""
        with gc_paused():  # hundreds of thousands of small lists, none cyclic
            answer = metrics.fetch_metric_series(
                clusters, spec, entity.entity, chunk_start, chunk_end, step, placements=head.placements
            )
            return _slices(answer.rows, fields, spec.name), answer.missing_clusters, len(answer.rows)

    def emit(batcher: Batcher, chunk: tuple[list[tuple[dict, int]], list[str], int]) -> Iterator[Batch]:
        slices, failed, series = chunk
        for part, n in slices:
            summary["rows"] += n
            yield from batcher.add(part, n)
        missing.update(dict.fromkeys(failed))
        summary["series"] = max(summary["series"], series)
        summary["partial"], summary["missing_clusters"] = bool(missing), list(missing)

    def batches() -> Iterator[Batch]:
        batcher = Batcher([c.name for c in columns])
        yield from emit(batcher, (_slices(head.rows, fields, spec.name), head.missing_clusters, len(head.rows)))
        steps = max(1, min(CHUNK_POINTS // series_count, 11_000))
        chunks = list(_chunks(first_end + step, end, step, steps))
        # The next chunk is fetched while this one is written: Prometheus works while we format.
        pending = beside(fetch, *chunks[0]) if chunks else None
        for index in range(len(chunks)):
            chunk = pending.result()
            pending = beside(fetch, *chunks[index + 1]) if index + 1 < len(chunks) else None
            yield from emit(batcher, chunk)
            del chunk  # one chunk written, one in flight: memory stays bounded
        yield from batcher.flush()

    return Dataset(
        name="metrics",
        title=f"{spec.name} per {entity.entity}",
        columns=columns,
        batches=batches,
        summary=summary,
        parameters=span_parameters(
            span.start, span.end, step_seconds=step, metric=spec.name, resource=resource, cluster=requested or "all"
        ),
        clusters=head.clusters,
        requested=requested,
        start=span.start,
        end=span.end,
        total_rows=len(head.rows) * span.points,
        kind=f"metrics-{spec.name}",
    )
