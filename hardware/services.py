"""IPMI sensors, DCMI wall power and BMC facts per node, from ipmi_exporter.

A sensor's ``state`` comes only from the exporter's ``*_state`` series (0 ok,
1 warning, 2 critical, NaN unknown); a sensor without a state series is
``unknown``. Nothing is inferred from names or thresholds. A reading the
exporter reports as NaN is ``value: null`` with whatever state the exporter
gave it. The node comes from :mod:`clusters.placement` (a relabelled node label,
else the scrape address of the host-network exporter matched against the nodes'
addresses); a series it cannot place is counted in the answer's warnings, never
shown under an address.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from clusters import placement as P
from clusters.prometheus.cache import LIVE, cached_query
from clusters.prometheus.fanout import ClusterResult, fan_out
from clusters.prometheus.results import Sample
from hardware import queries

SENSOR_TYPES = ("temperature", "fan", "voltage", "current", "power", "other")
STATES = ("ok", "warning", "critical", "unknown")
STATE_CODES = {0.0: "ok", 1.0: "warning", 2.0: "critical"}
SEVERITY = {"critical": 3, "warning": 2, "unknown": 1, "ok": 0}


@dataclass
class Sensor:
    """One IPMI sensor of one node."""

    cluster: str
    node: str
    id: str
    name: str
    type: str
    value: float | None
    unit: str | None
    state: str
    sensor_type: str | None = None  # the IPMI type of generic sensors ("Power Supply")


@dataclass
class NodeIpmi:
    """Everything ipmi_exporter says about one node."""

    cluster: str
    node: str
    sensors: list[Sensor] = field(default_factory=list)
    dcmi_power_watts: float | None = None
    collectors: dict[str, bool] = field(default_factory=dict)
    chassis_power: str | None = None
    bmc: dict[str, str | None] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATES, 0)
        for s in self.sensors:
            out[s.state] += 1
        return out

    @property
    def worst_state(self) -> str:
        return max((s.state for s in self.sensors), key=SEVERITY.__getitem__, default="unknown")


def state_of(sample: Sample | None) -> str:
    """``*_state`` sample → ok / warning / critical / unknown (NaN, absent or an unknown code)."""
    if sample is None or sample.is_nan or sample.value is None:
        return "unknown"
    return STATE_CODES.get(sample.value, "unknown")


def _sort_id(sensor_id: str) -> tuple[int, str]:
    return (int(sensor_id), "") if sensor_id.isdigit() else (math.inf, sensor_id)  # type: ignore[return-value]


def _na(value: str | None) -> str | None:
    """ipmi_exporter writes missing BMC facts as ``N/A``."""
    return None if value in (None, "", "N/A") else value


class IpmiNodes(dict[str, NodeIpmi]):
    """node -> :class:`NodeIpmi` of one cluster, with the placement tally of its series."""

    def __init__(self) -> None:
        super().__init__()
        self.tally = P.Tally()


def parse_ipmi(cluster: str, samples: list[Sample], placement: P.Placement) -> IpmiNodes:
    """Group one cluster's IPMI samples by node."""
    nodes = IpmiNodes()
    values: dict[tuple[str, str, str], tuple[str, Sample]] = {}
    states: dict[tuple[str, str, str], Sample] = {}
    for s in samples:
        if s.labels.get("kcloud_part"):
            continue  # the placement inputs
        node = nodes.tally.count(P.IPMI, placement.node(s.labels, P.IPMI), s.labels)
        if not node:
            continue
        entry = nodes.setdefault(node, NodeIpmi(cluster=cluster, node=node))
        metric = s.labels.get("__name__", "")
        key = (node, s.labels.get("id", ""), s.labels.get("name", ""))
        if metric in queries.VALUE_FAMILIES:
            values[key] = (metric, s)
        elif metric in queries.STATE_FAMILIES:
            states[key] = s
        elif metric == "ipmi_dcmi_power_consumption_watts":
            entry.dcmi_power_watts = s.value
        elif metric == "ipmi_up":
            entry.collectors[s.labels.get("collector", "")] = s.value == 1
        elif metric == "ipmi_chassis_power_state" and s.value is not None:
            entry.chassis_power = "on" if s.value == 1 else "off"
        elif metric == "ipmi_bmc_info":
            entry.bmc = {
                "firmware_revision": _na(s.labels.get("firmware_revision")),
                "manufacturer": _na(s.labels.get("manufacturer_id")),
                "system_firmware_version": _na(s.labels.get("system_firmware_version")),
                "bmc_url": _na(s.labels.get("bmc_url")),
            }
    for key, (metric, s) in values.items():
        node, sid, name = key
        kind, unit = queries.VALUE_FAMILIES[metric]
        nodes[node].sensors.append(
            Sensor(
                cluster=cluster,
                node=node,
                id=sid,
                name=name,
                type=kind,
                value=s.value,  # NaN (and ±Inf) → None; the state says what the exporter meant
                unit=unit,
                state=state_of(states.get(key)),
                sensor_type=s.labels.get("type") or None,
            )
        )
    for entry in nodes.values():
        entry.sensors.sort(key=lambda x: _sort_id(x.id))
    return nodes


def fetch_ipmi(client: Any, cluster: Any, at: float | None = None) -> IpmiNodes:
    """Every node's IPMI facts of one cluster (one request; runs in a fan-out worker)."""
    result = cached_query(client, queries.ipmi(cluster.scope), LIVE, time=at)
    return parse_ipmi(cluster.name, result.samples, P.Placement.from_samples(result.samples))


def ipmi_results(clusters: list[Any], at: float | None = None) -> list[ClusterResult[IpmiNodes]]:
    """:func:`fetch_ipmi` for every cluster in parallel."""
    return fan_out(clusters, lambda client, cluster: fetch_ipmi(client, cluster, at))


def all_nodes(results: list[ClusterResult[dict[str, NodeIpmi]]], nodes: tuple[str, ...] = ()) -> list[NodeIpmi]:
    """Nodes of every answering cluster (optionally only some names), in (cluster, node) order."""
    out = []
    for result in results:
        if result.ok:
            out.extend(v for k, v in sorted(result.value.items()) if not nodes or k in nodes)
    return out


def sensors(entries: list[NodeIpmi], types: tuple[str, ...] = (), states: tuple[str, ...] = ()) -> list[Sensor]:
    """Sensors of the given nodes, filtered by type and state."""
    return [
        s for e in entries for s in e.sensors if (not types or s.type in types) and (not states or s.state in states)
    ]


def summary(entries: list[NodeIpmi]) -> list[dict]:
    """Per node: sensor counts by state, worst state, the sensors not ok; critical nodes first."""
    rows = []
    for e in entries:
        counts = e.counts()
        rows.append(
            {
                "cluster": e.cluster,
                "node": e.node,
                "worst_state": e.worst_state,
                "sensors": len(e.sensors),
                "counts": counts,
                "problems": [s for s in e.sensors if s.state in ("critical", "warning")],
                "unknown": [s for s in e.sensors if s.state == "unknown"],
                "dcmi_power_watts": e.dcmi_power_watts,
            }
        )
    rows.sort(key=lambda r: (-r["counts"]["critical"], -r["counts"]["warning"], r["cluster"], r["node"]))
    return rows
