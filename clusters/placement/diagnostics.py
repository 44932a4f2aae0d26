"""Placement diagnostics: per exporter, how many series were placed, by which rule, and what was not.

For operators checking a scrape setup (``manage.py check_clusters --placement``, the
cluster page): "IPMI: 0 of 96 series placed" with an example series says which
labels the scrape dropped. One instant request per cluster: one representative
metric per exporter, reduced to the labels placement reads, plus the placement
inputs (docs/SCRAPE-SETUPS.md says how to fix what is found).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clusters.placement import labels as L
from clusters.placement import queries
from clusters.placement.model import RULES, Placement, Where
from clusters.prometheus.promql import Scope, eq, names_regex, tag, union

# source -> (representative series, extra labels that tell its series apart)
PROBES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    L.DCGM: (("DCGM_FI_DEV_POWER_USAGE",), ("UUID", "uuid", "GPU_I_ID")),
    L.FURIOSA: (("furiosa_npu_hw_power",), ("uuid", "core")),
    L.REBELLIONS: (("rbln_npu_power", "RBLN_DEVICE_STATUS:CARD_POWER"), ("uuid",)),
    L.KEPLER: (("kepler_node_cpu_joules_total", "kepler_node_package_joules_total"), ("zone",)),
    L.IPMI: (("ipmi_up",), ("collector",)),
    L.CADVISOR: (("container_memory_working_set_bytes",), ()),
    L.NODE_EXPORTER: (("node_load1",), ()),
    L.LIBVIRT: (("libvirt_domain_info_virtual_cpus",), ("domain",)),
}
# Kepler 0.7 container series carry no node of their own: probed on their own.
CONTAINERS = "kepler_containers"
# How an operator reads each rule (model.RULES order).
RULE_TITLES = {"label": "node label", "address": "address", "exporter_pod": "exporter pod", "workload_pod": "its pod"}


@dataclass
class SourceReport:
    """One exporter's series in one cluster: how many, placed by which rule, and an unplaced example."""

    source: str
    series: int = 0
    by_rule: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RULES, 0))
    unplaced: int = 0
    example: dict[str, str] | None = None

    @property
    def placed(self) -> int:
        return self.series - self.unplaced

    def count(self, where: Where, labels: dict[str, str]) -> None:
        self.series += 1
        if where.node is None:
            self.unplaced += 1
            if self.example is None:
                self.example = {k: v for k, v in labels.items() if k != "kcloud_part"}
        else:
            self.by_rule[where.rule or ""] = self.by_rule.get(where.rule or "", 0) + 1


def query(scope: Scope) -> str:
    """Every probe (tagged with its source) and the placement inputs, in one request."""
    parts = []
    for source, (metrics, own) in PROBES.items():
        matchers = [names_regex(metrics)]
        if source == L.CADVISOR:
            matchers.append(eq("id", "/"))  # the node's root cgroup: one series per node
        keys = L.keys(source, *own, workload=source == L.DCGM)
        parts.append(tag(f"max by ({keys}) ({scope.sel(None, *matchers)})", source))
    containers = scope.sel(None, names_regex(("kepler_container_package_joules_total",)))
    keys = L.keys(L.KEPLER, "container_namespace", "pod_name")
    parts.append(tag(f"max by ({keys}) ({containers})", CONTAINERS))
    return union(*parts, *queries.parts(scope))


def report(samples: list) -> list[SourceReport]:
    """The diagnostics of one cluster's answer to :func:`query` (sources with series only)."""
    placement = Placement.from_samples(samples)
    reports: dict[str, SourceReport] = {}
    for s in samples:
        source, lab = s.labels.get("kcloud_part", ""), s.labels
        if source in PROBES:
            reports.setdefault(source, SourceReport(source)).count(placement.node(lab, source), lab)
        elif source == CONTAINERS:
            where = placement.container_node(lab, lab.get("container_namespace", ""), lab.get("pod_name", ""))
            reports.setdefault(source, SourceReport(source)).count(where, lab)
    return [reports[name] for name in (*PROBES, CONTAINERS) if name in reports]


def diagnose(client: Any, cluster: Any, at: float | None = None, *, cached: bool = False) -> list[SourceReport]:
    """Diagnostics of one cluster at ``at`` (default now): one request, cached for a minute if ``cached``.

    The command asks uncached (an operator fixing a scrape config wants the current
    state); the cluster page asks cached (a reload costs nothing).
    """
    from clusters.prometheus.cache import SUMMARY, cached_query

    expr = query(cluster.scope)
    answer = cached_query(client, expr, SUMMARY, time=at) if cached else client.query(expr, time=at)
    return report(answer.samples)
