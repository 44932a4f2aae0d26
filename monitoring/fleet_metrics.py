"""Our numbers as Prometheus metrics (``/metrics/fleet``), for the tools users already run.

Built from the same power-now answer as ``/monitoring/power`` (one snapshot and
facility figure per cluster, cached and aligned), so a scrape costs no more
PromQL than that call and the values are the API's. Families, with their labels:

* per cluster (``cluster``): ``kcloud_cluster_up``, ``kcloud_cluster_it_power_watts``,
  ``kcloud_cluster_part_power_watts{part}``, ``kcloud_cluster_pods_power_watts``,
  ``kcloud_cluster_idle_power_watts``, ``kcloud_cluster_facility_power_watts``,
  ``kcloud_cluster_pue{source}``, ``kcloud_cluster_carbon_grams_per_hour``,
  ``kcloud_cluster_cost_per_hour{currency}``, ``kcloud_cluster_power_budget_watts``,
  ``kcloud_cluster_accelerators{kind,status}``,
  ``kcloud_cluster_idle_accelerator_power_watts{kind}``;
* per node (``cluster``, ``node``): ``kcloud_node_it_power_watts``,
  ``kcloud_node_part_power_watts{part}``;
* per namespace (``cluster``, ``namespace``): ``kcloud_namespace_power_watts{part}``;
* per accelerator (``cluster``, ``node``, ``kind``, ``vendor``, ``model``, ``device``):
  ``kcloud_accelerator_power_watts``, ``kcloud_accelerator_temperature_celsius``,
  ``kcloud_accelerator_utilization_percent``, ``kcloud_accelerator_allocated_ratio``
  (the share held by pods: 1 for a whole device, slices/7 for MIG), ``kcloud_accelerator_idle``;
* per budget (``budget``, ``scope``, ``cluster``, ``namespace``, ``period``, ``measure``):
  ``kcloud_budget_used_ratio`` and ``kcloud_budget_projected_ratio`` as of the last
  evaluation (from the database);
* per pod only on request (``pods=1``), the ``pods_limit`` most powerful:
  ``kcloud_pod_power_watts{cluster,namespace,pod,part}``, and
  ``kcloud_fleet_pods_omitted`` says how many were left out.

A value nobody reported is left out (no sample), never written as 0; a cluster
that did not answer has ``kcloud_cluster_up 0`` and nothing else. Cardinality is
bounded by the fleet's size (clusters, nodes, namespaces, devices), not by
time: no label carries a pod name unless asked for, none a timestamp.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from clusters.prometheus.fanout import ClusterResult
from monitoring.economics import Site, rate_fields
from monitoring.services.power import ClusterNow, cluster_power, counted_pods, known_sum

PARTS = ("cpu", "dram", "gpu", "npu")
NODE_PARTS = (*PARTS, "other")
DEVICE_LABELS = ["cluster", "node", "kind", "vendor", "model", "device"]


class _Families:
    """The metric families of one scrape, created on first use (in a stable order)."""

    def __init__(self) -> None:
        self._families: dict[str, GaugeMetricFamily] = {}

    def add(self, name: str, doc: str, labels: list[str], values: list[str], value: float | None) -> None:
        family = self._families.get(name)
        if family is None:
            family = self._families[name] = GaugeMetricFamily(name, doc, labels=labels)
        if value is not None:
            family.add_metric(values, float(value))

    def __iter__(self) -> Iterator[GaugeMetricFamily]:
        return iter(self._families.values())


def _allocated_ratio(device: Any) -> float:
    return min(1.0, sum(a.share or 0.0 for a in device.allocations))


def _cluster(out: _Families, now: ClusterNow, site: Site, budget_watts: float | None) -> None:
    snap, c = now.snapshot, now.snapshot.cluster
    power = cluster_power(snap, site, now.facility)
    out.add("kcloud_cluster_it_power_watts", "IT power: the nodes' power now.", ["cluster"], [c], power.it_power_watts)
    for part in NODE_PARTS:
        out.add(
            "kcloud_cluster_part_power_watts",
            "IT power by part (other: wall power beyond the parts); the parts add up to the IT power.",
            ["cluster", "part"],
            [c, part],
            power.parts.get(part),
        )
    out.add("kcloud_cluster_pods_power_watts", "Power attributed to pods.", ["cluster"], [c], power.pods_power_watts)
    out.add(
        "kcloud_cluster_idle_power_watts",
        "The parts' power no pod holds (idle, system, unallocated devices).",
        ["cluster"],
        [c],
        power.idle_power_watts,
    )
    out.add(
        "kcloud_cluster_facility_power_watts",
        "Facility power: measured, or IT power x configured PUE.",
        ["cluster"],
        [c],
        power.facility_power_watts,
    )
    pue = power.pue
    if pue is not None:
        out.add("kcloud_cluster_pue", "PUE with its source.", ["cluster", "source"], [c, pue.source], pue.value)
    rates = rate_fields(power.it_power_watts, pue, site) if pue is not None else {}
    out.add(
        "kcloud_cluster_carbon_grams_per_hour",
        "gCO2e per hour at the power now.",
        ["cluster"],
        [c],
        rates.get("carbon_grams_per_hour"),
    )
    out.add(
        "kcloud_cluster_cost_per_hour",
        "Electricity cost per hour at the power now, in the cluster's currency.",
        ["cluster", "currency"],
        [c, site.currency or ""],
        rates.get("cost_per_hour"),
    )
    out.add(
        "kcloud_cluster_power_budget_watts",
        "IT power the cluster may draw (from the registry).",
        ["cluster"],
        [c],
        budget_watts,
    )
    for kind, devices in (("gpu", snap.gpus), ("npu", snap.npus)):
        for status in ("active", "idle", "unavailable"):
            out.add(
                "kcloud_cluster_accelerators",
                "Accelerators by status.",
                ["cluster", "kind", "status"],
                [c, kind, status],
                sum(1 for d in devices if d.status == status),
            )
        idle = [d.power_watts for d in devices if d.status == "idle"]
        out.add(
            "kcloud_cluster_idle_accelerator_power_watts",
            "Power of the accelerators that are idle now.",
            ["cluster", "kind"],
            [c, kind],
            known_sum(idle) if idle else 0.0,
        )


def _nodes(out: _Families, now: ClusterNow) -> None:
    snap, c = now.snapshot, now.snapshot.cluster
    for name, node in sorted(snap.nodes.items()):
        out.add(
            "kcloud_node_it_power_watts",
            "A node's power now (DCMI wall power where measured, else its parts).",
            ["cluster", "node"],
            [c, name],
            node.power.power_watts,
        )
        for part in NODE_PARTS:
            value = node.power.other_watts if part == "other" else getattr(node.power, f"{part}_power_watts")
            out.add(
                "kcloud_node_part_power_watts",
                "A node's power by part.",
                ["cluster", "node", "part"],
                [c, name, part],
                value,
            )


def _namespaces(out: _Families, now: ClusterNow) -> None:
    c = now.snapshot.cluster
    totals: dict[tuple[str, str], float] = {}
    for pod in counted_pods(now.snapshot):
        for part in PARTS:
            value = getattr(pod, f"{part}_power_watts")
            if value is not None:
                totals[(pod.namespace, part)] = totals.get((pod.namespace, part), 0.0) + value
    for (namespace, part), watts in sorted(totals.items()):
        out.add(
            "kcloud_namespace_power_watts",
            "Power attributed to a namespace's running pods, by part.",
            ["cluster", "namespace", "part"],
            [c, namespace, part],
            watts,
        )


def _accelerators(out: _Families, now: ClusterNow) -> None:
    c = now.snapshot.cluster
    for d in [*now.snapshot.gpus, *now.snapshot.npus]:
        labels = [c, d.node or "", d.kind, d.vendor, d.model or "", d.id]
        out.add("kcloud_accelerator_power_watts", "Device power now.", DEVICE_LABELS, labels, d.power_watts)
        out.add(
            "kcloud_accelerator_temperature_celsius",
            "Device temperature (NPU: hottest sensor).",
            DEVICE_LABELS,
            labels,
            d.temperature_celsius,
        )
        out.add(
            "kcloud_accelerator_utilization_percent",
            "Device utilisation (absent where not reported, e.g. MIG GPUs).",
            DEVICE_LABELS,
            labels,
            d.utilization_percent,
        )
        out.add(
            "kcloud_accelerator_allocated_ratio",
            "Share of the device held by pods (MIG: slices / 7).",
            DEVICE_LABELS,
            labels,
            _allocated_ratio(d),
        )
        if d.status != "unavailable":
            out.add(
                "kcloud_accelerator_idle",
                "1 when the device reports and is idle (below the active threshold).",
                DEVICE_LABELS,
                labels,
                1.0 if d.status == "idle" else 0.0,
            )


def _pods(out: _Families, nows: list[ClusterNow], limit: int) -> None:
    pods = sorted(
        (pod for now in nows for pod in counted_pods(now.snapshot)),
        key=lambda p: (-(p.power_watts or 0.0), p.cluster, p.namespace, p.name),
    )
    for pod in pods[:limit]:
        for part in PARTS:
            out.add(
                "kcloud_pod_power_watts",
                "Power attributed to a pod, by part (only with pods=1; the most powerful first).",
                ["cluster", "namespace", "pod", "part"],
                [pod.cluster, pod.namespace, pod.name, part],
                getattr(pod, f"{part}_power_watts"),
            )
    out.add("kcloud_fleet_pods_omitted", "Running pods left out by the pod limit.", [], [], max(0, len(pods) - limit))


def _budgets(out: _Families, budgets: Iterable[Any]) -> None:
    """The product's budgets as of their last evaluation (from the database: no PromQL)."""
    for b in budgets:
        progress = b.progress or {}
        labels = [b.name, b.scope, b.cluster.name if b.cluster_id else "", b.namespace, b.period, b.measure]
        names = ["budget", "scope", "cluster", "namespace", "period", "measure"]
        for key, metric, doc in (
            ("used_percent", "kcloud_budget_used_ratio", "Share of the budget's limit used this period."),
            ("projected_percent", "kcloud_budget_projected_ratio", "Share projected by the period's end."),
        ):
            value = progress.get(key)
            out.add(metric, doc, names, labels, None if value is None else value / 100.0)


def families(
    results: list[ClusterResult[ClusterNow]],
    sites: dict[str, Site],
    *,
    pods_limit: int | None = None,
    budgets: Iterable[Any] = (),
) -> _Families:
    """Every family of one scrape (``pods_limit``: per-pod series, at most that many pods)."""
    out = _Families()
    answered = []
    for result in results:
        name = result.cluster.name
        out.add(
            "kcloud_cluster_up", "1 when the cluster's Prometheus answered this scrape.", ["cluster"], [name], result.ok
        )
        if result.ok:
            answered.append(result.value)
            _cluster(out, result.value, sites[name], result.cluster.power_budget_watts)
    for now in answered:
        _nodes(out, now)
    for now in answered:
        _namespaces(out, now)
    for now in answered:
        _accelerators(out, now)
    if pods_limit is not None:
        _pods(out, answered, pods_limit)
    _budgets(out, budgets)
    return out


class _Collector:
    def __init__(self, metric_families: _Families) -> None:
        self._families = metric_families

    def collect(self) -> Iterator[GaugeMetricFamily]:
        return iter(self._families)


def exposition(metric_families: _Families) -> bytes:
    """The families in the Prometheus text format (written by the official client library)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector(metric_families))
    return generate_latest(registry)
