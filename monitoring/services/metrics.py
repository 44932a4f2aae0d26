"""``/monitoring/timeseries/metrics`` (and ``/export/metrics``): any catalog metric over time, grouped.

:func:`fetch_metric_series` sends **one** ``query_range`` per cluster (through
the range cache, start/end aligned to the step), whatever the metric, the
grouping or the fleet size; grouping GPUs/NPUs by namespace, and
``pod_power_watts``, add the accelerators' two cached device requests (their
pod allocations at ``end``), as ``/timeseries/power`` does.

Groups (``group_by``):

* ``cluster``, ``node``, ``model``: the entities' values are combined *in PromQL*
  (``sum by`` the labels carrying the group, plus ``count by`` for ``avg``
  metrics), so only one series per group crosses the network. ``model`` groups
  across clusters (one row per model for the fleet); the others are per cluster.
* the resource itself (``gpu``, ``npu``, ``node``, ``pod``): one series per entity
  with its identifying fields (``cluster, node, uuid, index, model`` for a GPU...).
* ``namespace``: pods' own series by their namespace; GPUs/NPUs through their pod
  allocations at ``end`` (MIG slices / 7, partition cores / card cores, as for
  power everywhere). ``sum`` metrics are split by those shares, the rest is
  ``__unattributed__`` (so the rows add up to the total); ``avg`` metrics count a
  device in every namespace holding part of it, and devices nobody holds under
  ``__unallocated__``.

Values are the gauges' values *at* each timestamp (Prometheus' instant
semantics); counters (Kepler 0.7, cAdvisor CPU seconds) are ``rate`` over
max(2 min, step), the mean of each step. A group's ``avg`` is the mean over the
entities reporting at that instant; a timestamp where none reports is ``null``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from clusters import placement as P
from clusters.prometheus.cache import RANGE, align, cached_query_range
from clusters.prometheus.fanout import ClusterResult, fan_out, outcomes
from clusters.prometheus.promql import TAG, promql_duration, tag, union
from infrastructure import queries as infra_queries
from infrastructure.services.series import MIN_RATE_SECONDS, fetch_series, node_power_points
from kcloud.api.errors import ApiError, BadParameter
from kcloud.api.params import MAX_POINTS, parse_choice
from monitoring.services.metric_catalog import GROUP_BYS, METRICS, RESOURCES, MetricSpec, pod_power_query

__all__ = [
    "GROUP_BYS",
    "METRICS",
    "UNALLOCATED",
    "UNATTRIBUTED",
    "MetricSeries",
    "MetricSpec",
    "fetch_metric_series",
    "resolve",
]

UNATTRIBUTED = "__unattributed__"  # sum metrics by namespace: the part of devices no pod holds
UNALLOCATED = "__unallocated__"  # avg metrics by namespace: devices no pod holds

# ts -> [sum, count] of one group's entities at that instant.
Acc = dict[float, list[float]]


@dataclass
class MetricSeries:
    """A metric's series, one row per group, on the grid ``timestamps`` (Unix seconds)."""

    metric: MetricSpec
    group_by: str
    step_seconds: int
    timestamps: list[float]
    rows: list[dict]  # {<group fields by their own names>, "points": [[ts, value | None], ...]}
    totals: list[list]  # [[ts, value | None], ...]: the fleet's sum or mean
    results: list[ClusterResult] = field(repr=False)

    @property
    def start(self) -> float:
        return self.timestamps[0]

    @property
    def end(self) -> float:
        return self.timestamps[-1]

    @property
    def missing_clusters(self) -> list[str]:
        return [r.cluster.name for r in self.results if not r.ok]

    @property
    def partial(self) -> bool:
        return bool(self.missing_clusters)

    @property
    def clusters(self) -> list[dict]:
        """Per-cluster outcomes (``[{name, status, error, latency_ms}]``)."""
        return outcomes(self.results)

    @property
    def placements(self) -> dict[str, P.Placement]:
        """The placement each answering cluster's series were placed with."""
        return {r.cluster.name: r.value.placement for r in self.results if r.ok and r.value.placement is not None}


@dataclass
class _ClusterPart:
    groups: dict[tuple, Acc]
    total: Acc
    placement: P.Placement | None = None  # the one used, for the next chunk of an export


def catalog() -> list[dict]:
    """Every metric with its resource, unit, aggregation and groupings (for discovery)."""
    return [spec.describe() for spec in METRICS.values()]


def resolve(metric: str | None, group_by: str | None, *, default_group_by: str = "cluster") -> tuple[MetricSpec, str]:
    """Validate ``metric`` and ``group_by`` (400 naming the parameter and listing the valid values)."""
    spec = METRICS.get(metric or "")
    if spec is None:
        problem = "is required" if not metric else f"{metric!r} is not a known metric"
        raise ApiError(
            f"metric: {problem}; one of {', '.join(METRICS)}.",
            code="invalid_parameter",
            status_code=400,
            details={"parameter": "metric", "choices": list(METRICS), "metrics": catalog()},
        )
    return spec, parse_choice("group_by", group_by, spec.group_bys, default=default_group_by)


def _fields(spec: MetricSpec, group_by: str) -> tuple[str, ...]:
    """The fields naming a group besides ``cluster``."""
    resource = RESOURCES[spec.resource]
    if group_by == resource.entity:
        return resource.entity_fields
    return () if group_by == "cluster" else (group_by,)


def _by_allocation(spec: MetricSpec, group_by: str) -> bool:
    return group_by == "namespace" and RESOURCES[spec.resource].by_allocation


def build_query(spec: MetricSpec, scope: Any, step: int, group_by: str) -> str:
    """The one range query of a cluster: per-entity series, sums (and counts) per group, or a composite's parts."""
    rate = promql_duration(max(MIN_RATE_SECONDS, step))
    if spec.composite == "node_power":
        return infra_queries.power_series(scope, max(MIN_RATE_SECONDS, step), by_namespace=False)
    if spec.composite == "pod_power":
        return pod_power_query(scope, rate)
    fields = _fields(spec, group_by)
    per_entity = group_by == RESOURCES[spec.resource].entity or _by_allocation(spec, group_by)
    parts: list[str] = []
    for i, source in enumerate(spec.sources):
        inner = source.expr(scope, rate)
        if per_entity:
            parts.append(tag(inner, f"{i}:dev"))
            continue
        labels = source.labels_for(fields)
        by = f" by ({', '.join(labels)})" if labels else ""
        parts.append(tag(f"sum{by} ({inner})", f"{i}:sum"))
        if spec.aggregation == "avg":
            parts.append(tag(f"count{by} ({inner})", f"{i}:cnt"))
    return union(*parts)


def _add(acc: Acc, points: Iterable[tuple[float, float | None]], *, count: bool) -> None:
    for ts, value in points:
        if value is None:
            continue
        slot = acc.setdefault(ts, [0.0, 0.0])
        slot[0] += value
        if count:
            slot[1] += 1


def _merge(into: Acc, other: Acc) -> None:
    for ts, (total, count) in other.items():
        slot = into.setdefault(ts, [0.0, 0.0])
        slot[0] += total
        slot[1] += count


def _grid(start: float, end: float, step: int) -> list[float]:
    first = align(start, step)
    last = max(first, align(end, step))
    return [first + i * step for i in range(int((last - first) // step) + 1)]


def _fetch_cluster(
    client: Any,
    cluster: Any,
    spec: MetricSpec,
    group_by: str,
    stamps: list[float],
    step: int,
    placement: P.Placement | None = None,
) -> _ClusterPart:
    """One cluster's groups (in a fan-out worker: no database access)."""
    start, end = stamps[0], stamps[-1]
    prefix = () if group_by == "model" else (cluster.name,)
    fields = _fields(spec, group_by)
    groups: dict[tuple, Acc] = {}
    total: Acc = {}
    if spec.composite == "node_power":
        series = fetch_series(client, cluster, start, end, step, False, placement)
        for node, points in node_power_points(series, stamps).items():
            key = prefix + ((node,) if fields else ())
            _add(groups.setdefault(key, {}), points.items(), count=True)
            _add(total, points.items(), count=True)
        return _ClusterPart(groups, total, series.placement)
    if spec.composite == "pod_power":
        return _pod_power(client, cluster, stamps, step, prefix, fields)
    result = cached_query_range(client, build_query(spec, cluster.scope, step, group_by), start, end, step, RANGE)
    if _by_allocation(spec, group_by):
        return _by_namespace(client, cluster, spec, result.series, prefix, end)
    # Only a node field needs placement (one cached request at the range's end).
    if placement is None:
        placement = P.fetch(client, cluster, end) if "node" in fields else P.Placement()
    for s in result.series:
        index, _, kind = s.labels.get(TAG, "").partition(":")
        source = spec.sources[int(index)]
        values = tuple(source.value_of(f, s.labels, placement) for f in fields)
        named = dict(zip(fields, values, strict=True))
        if any(f in named and named[f] is None for f in ("namespace", "pod")):
            continue  # a series outside any pod (the sources exclude them; defence in depth)
        key = prefix + values
        acc = groups.setdefault(key, {})
        if kind == "cnt":
            for ts, value in s.points:
                if value is not None:
                    acc.setdefault(ts, [0.0, 0.0])[1] += value
        else:
            _add(acc, s.points, count=kind == "dev")
    for acc in groups.values():
        _merge(total, acc)
    return _ClusterPart(groups, total, placement)


def _by_namespace(client: Any, cluster: Any, spec: MetricSpec, series: list, prefix: tuple, end: float) -> _ClusterPart:
    """GPU/NPU series split over the namespaces holding the devices at ``end`` (see the module docstring)."""
    from accelerators import devices

    inventory = devices.fetch_accelerators(client, cluster, at=end)
    held = inventory.gpus if spec.resource == "gpus" else inventory.npus
    allocations = {d.id: d.allocations for d in held}
    groups: dict[tuple, Acc] = {}
    total: Acc = {}
    for s in series:
        source = spec.sources[int(s.labels.get(TAG, "0:").partition(":")[0])]
        uuid = source.value_of("uuid", s.labels, inventory.placement) or ""
        _add(total, s.points, count=True)
        shares: dict[str, float] = {}
        for a in allocations.get(uuid, []):
            shares[a.namespace] = shares.get(a.namespace, 0.0) + a.share
        if spec.aggregation == "sum":
            rest = 1.0 - sum(shares.values())
            if rest > 1e-9:
                shares[UNATTRIBUTED] = rest
            for ns, share in shares.items():
                scaled = [(ts, None if v is None else v * share) for ts, v in s.points]
                _add(groups.setdefault((*prefix, ns), {}), scaled, count=True)
        else:
            for ns in shares or (UNALLOCATED,):
                _add(groups.setdefault((*prefix, ns), {}), s.points, count=True)
    return _ClusterPart(groups, total)


def _pod_power(
    client: Any, cluster: Any, stamps: list[float], step: int, prefix: tuple, fields: tuple[str, ...]
) -> _ClusterPart:
    """``pod_power_watts``: each pod's Kepler CPU + DRAM plus its devices' power x its allocation shares."""
    from accelerators import devices

    start, end = stamps[0], stamps[-1]
    result = cached_query_range(
        client, build_query(METRICS["pod_power_watts"], cluster.scope, step, ""), start, end, step, RANGE
    )
    inventory = devices.fetch_accelerators(client, cluster, at=end)
    holders: dict[str, list[tuple[tuple[str, str], float]]] = {}
    device_node: dict[str, str | None] = {}
    for d in [*inventory.gpus, *inventory.npus]:
        holders[d.id] = [((a.namespace, a.pod), a.share) for a in d.allocations]
        device_node[d.id] = d.node
    pods: dict[tuple[str, str], Acc] = {}
    nodes: dict[tuple[str, str], str | None] = {}
    for s in result.series:
        kind, labels = s.labels.get(TAG, ""), s.labels
        if kind in ("pod_k010", "pod_k07_package", "pod_k07_dram"):
            ns = labels.get("pod_namespace") or labels.get("container_namespace") or ""
            pod = labels.get("pod_name", "")
            if ns and pod:
                _add(pods.setdefault((ns, pod), {}), s.points, count=False)
                where = inventory.placement.container_node(labels, ns, pod)
                nodes[(ns, pod)] = nodes.get((ns, pod)) or where.node
        elif kind in ("gpu_dev", "npu_dev"):
            uuid = labels.get("UUID") or labels.get("uuid") or ""
            for key, share in holders.get(uuid, []):
                scaled = [(ts, None if v is None else v * share) for ts, v in s.points]
                _add(pods.setdefault(key, {}), scaled, count=False)
                nodes[key] = nodes.get(key) or device_node.get(uuid)
    groups: dict[tuple, Acc] = {}
    total: Acc = {}
    for (ns, pod), acc in pods.items():
        named = {"namespace": ns, "pod": pod, "node": nodes.get((ns, pod))}
        # One entity per pod at each instant: counts stay 1 whatever the number of parts.
        for slot in acc.values():
            slot[1] = 1.0
        _merge(groups.setdefault(prefix + tuple(named[f] for f in fields), {}), acc)
        _merge(total, acc)
    return _ClusterPart(groups, total)


def _value(slot: list[float] | None, aggregation: str) -> float | None:
    if slot is None:
        return None
    if aggregation == "sum":
        return slot[0]
    return slot[0] / slot[1] if slot[1] else None


def _sort_key(key: tuple) -> tuple:
    return tuple((0, v, "") if isinstance(v, int) else (1, 0, v or "") for v in key)


def _ts(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def fetch_metric_series(
    clusters: Sequence[Any],
    metric: str | MetricSpec,
    group_by: str,
    start: float,
    end: float,
    step: int,
    placements: Mapping[str, P.Placement] | None = None,
) -> MetricSeries:
    """``metric`` grouped by ``group_by`` on the grid ``[start, end]`` every ``step`` seconds (Unix times).

    ``clusters`` are Cluster rows already resolved for the caller's scope
    (:func:`clusters.scope.select_clusters`); ``start``/``end`` are floored to
    ``step``. A cluster that fails is ``status: error`` in :attr:`MetricSeries.clusters`
    and the answer is ``partial``. Raises ``BadParameter`` for an unknown metric or
    grouping, or a grid above 11,000 points. ``placements`` (cluster name -> placement)
    reuses what an earlier call found (:attr:`MetricSeries.placements`): the chunks of
    an export place series once.
    """
    spec, group_by = resolve(metric.name if isinstance(metric, MetricSpec) else metric, group_by)
    step = int(step)
    if step <= 0:
        raise BadParameter("step", "must be positive.")
    stamps = _grid(start, end, step)
    if len(stamps) > MAX_POINTS:
        raise BadParameter("step", f"{len(stamps)} points exceed the limit of {MAX_POINTS}; use a larger step.")
    known = placements or {}
    results = fan_out(
        clusters, lambda client, c: _fetch_cluster(client, c, spec, group_by, stamps, step, known.get(c.name))
    )
    groups: dict[tuple, Acc] = {}
    total: Acc = {}
    for result in results:
        if not result.ok:
            continue
        for key, acc in result.value.groups.items():
            _merge(groups.setdefault(key, {}), acc)
        _merge(total, result.value.total)
    names = (() if group_by == "model" else ("cluster",)) + _fields(spec, group_by)
    if _by_allocation(spec, group_by):
        names = ("cluster", "namespace")
    rows = []
    # Every row shares the grid: convert its instants once, not once per row (millions of points in an export).
    grid = [(_ts(ts), ts) for ts in stamps]
    agg = spec.aggregation
    for key in sorted(groups, key=_sort_key):
        acc = groups[key]
        row: dict = dict(zip(names, key, strict=True))
        row["points"] = [[shown, _value(acc.get(ts), agg)] for shown, ts in grid]
        rows.append(row)
    totals = [[shown, _value(total.get(ts), agg)] for shown, ts in grid]
    return MetricSeries(spec, group_by, step, stamps, rows, totals, results)
