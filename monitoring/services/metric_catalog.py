"""The catalog of ``/monitoring/timeseries/metrics``: which metrics exist, and the PromQL behind each.

A metric is named like the JSON field of its resource's API, prefixed with the
resource (``gpu_utilization_percent`` is ``utilization_percent`` of
``/accelerators/gpus``), so its unit is in its name. Each metric has one or more
*sources*: a PromQL expression giving **one series per entity** (GPU, NPU card,
node or pod) that carries only the labels identifying the entity. Duplicates are
removed inside that expression, where the exporters' facts say they occur:

* DCGM under MIG repeats device-level fields once per ``GPU_I_ID``: ``max by``
  the device labels keeps one (framebuffer memory is per instance: ``sum by``);
  DCGM blank sentinels are dropped before aggregating, so they never enter a sum.
* A series' node is decided by :mod:`clusters.placement` (whatever labels the
  scrape setup left): every expression keeps the placing labels (``placement.keys``)
  and counts each Prometheus replica once (``placement.one_replica``).
* Furiosa repeats a partitioned card's device series per partition: ``max by``
  the card; its utilisation is per core: ``avg by`` the card. Rebellions' legacy
  (``RBLN_DEVICE_STATUS:*``) and new (``rbln_npu_*``) names are both read.
* Kepler 0.10+ (``*_watts`` gauges) and 0.7 (``*_joules_total`` counters read
  through ``rate``) are both read, each
  source tagged so ``or`` keeps both; the RAPL ``package`` zone already contains
  ``core``/``uncore`` and sockets (``package-0``, ``package-1``) add up.

``aggregation`` says how entities combine into a group at each timestamp:
``avg`` (utilisation, temperature, clocks: the mean over the group's entities
reporting at that instant) or ``sum`` (power, memory, CPU cores).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from accelerators.queries import DCGM_BLANK_FLOOR, gpu_utilization
from clusters import placement as P
from clusters.prometheus.promql import Scope, eq, names_regex, regex, tag, union
from infrastructure import kepler
from infrastructure.kepler import ZONES, zone_matcher
from infrastructure.queries import APP_CONTAINERS, GPU_POWER, NPU_POWER, npu_power
from monitoring.queries import NPU_UTILIZATION

Labels = Mapping[str, str]
# A field: the labels carrying it (kept by ``sum by``) and how to read it from a series' labels
# with the cluster's placement (``None`` for fields that do not need it).
FieldSpec = tuple[tuple[str, ...], Callable[[Labels, P.Placement], str | int | None]]

AGGREGATIONS = ("avg", "sum")
MIB = 1048576


def _label(name: str) -> Callable[[Labels, P.Placement], str | None]:
    return lambda labels, _placement: labels.get(name) or None


def _index(labels: Labels, _placement: P.Placement) -> int | None:
    value = labels.get("gpu", "")
    return int(value) if value.isdigit() else None


def _npu_model(labels: Labels, _placement: P.Placement) -> str | None:
    return labels.get("arch") or labels.get("card") or None


def _npu_vendor(labels: Labels, _placement: P.Placement) -> str | None:
    if labels.get("arch"):
        return "furiosa"
    return "rebellions" if labels.get("card") else None


def _keys(source: str, *own: str) -> tuple[str, ...]:
    return tuple(P.keys(source, *own).split(", "))


def _node(source: str, *own: str) -> FieldSpec:
    """The ``node`` field of ``source``'s series: the placing labels, placed by the cluster's placement."""
    return _keys(source, *own), lambda labels, placement: placement.node(labels, source).node


def _pod_node(namespace_label: str) -> FieldSpec:
    """The ``node`` of a Kepler pod/container series: its scrape target's node, else the pod's placement."""

    def node(labels: Labels, placement: P.Placement) -> str | None:
        return placement.container_node(labels, labels.get(namespace_label, ""), labels.get("pod_name", "")).node

    return _keys(P.KEPLER), node


@dataclass(frozen=True)
class Source:
    """One PromQL expression giving one series per entity, and how its labels map to fields.

    ``expr(scope, rate_window)`` returns the per-entity expression; ``fields`` maps a
    field (``node``, ``uuid``, ``namespace``...) to the labels that carry it (kept by
    ``sum by`` when grouping in PromQL) and the function reading it from a series.
    """

    expr: Callable[[Scope, str], str]
    fields: Mapping[str, FieldSpec]

    def labels_for(self, names: tuple[str, ...]) -> tuple[str, ...]:
        """The label names carrying the fields ``names`` (for ``sum by``)."""
        out: list[str] = []
        for name in names:
            out.extend(label for label in self.fields[name][0] if label not in out)
        return tuple(out)

    def value_of(self, name: str, labels: Labels, placement: P.Placement) -> str | int | None:
        return self.fields[name][1](labels, placement)


@dataclass(frozen=True)
class Resource:
    """What a metric describes: its entity, the fields naming one, and the allowed groupings."""

    name: str  # gpus | npus | nodes | pods (the resource APIs' names)
    entity: str  # gpu | npu | node | pod: the group_by giving one series per entity
    entity_fields: tuple[str, ...]  # besides ``cluster``
    group_bys: tuple[str, ...]
    by_allocation: bool = False  # namespace grouping through the devices' pod allocations


RESOURCES: dict[str, Resource] = {
    "gpus": Resource(
        "gpus", "gpu", ("node", "uuid", "index", "model"), ("cluster", "node", "namespace", "model", "gpu"), True
    ),
    "npus": Resource(
        "npus", "npu", ("node", "uuid", "model", "vendor"), ("cluster", "node", "namespace", "model", "npu"), True
    ),
    "nodes": Resource("nodes", "node", ("node",), ("cluster", "node")),
    "pods": Resource("pods", "pod", ("namespace", "pod", "node"), ("cluster", "node", "namespace", "pod")),
}


@dataclass(frozen=True)
class MetricSpec:
    """One metric of the catalog (see the module docstring)."""

    name: str
    resource: str
    unit: str
    aggregation: str  # avg | sum
    description: str
    sources: tuple[Source, ...] = field(default=(), repr=False)
    composite: str | None = None  # computed in Python from several parts (node_power, pod_power)

    @property
    def group_bys(self) -> tuple[str, ...]:
        return RESOURCES[self.resource].group_bys

    def describe(self) -> dict:
        """The catalog entry as JSON (no PromQL)."""
        return {
            "name": self.name,
            "resource": self.resource,
            "unit": self.unit,
            "aggregation": self.aggregation,
            "group_by": list(self.group_bys),
            "description": self.description,
        }


# -- sources ---------------------------------------------------------------------------------
DCGM_DEVICE = _keys(P.DCGM, "UUID", "gpu", "modelName")
GPU_FIELDS: dict[str, FieldSpec] = {
    "node": _node(P.DCGM),
    "uuid": (("UUID",), _label("UUID")),
    "index": (("gpu",), _index),
    "model": (("modelName",), _label("modelName")),
}
NPU_DEVICE = _keys(P.FURIOSA, "uuid", "arch", "card")
NPU_FIELDS: dict[str, FieldSpec] = {
    "node": _node(P.FURIOSA),
    "uuid": (("uuid",), _label("uuid")),
    "model": (("arch", "card"), _npu_model),
    "vendor": (("arch", "card"), _npu_vendor),
}


def _dcgm(metric: str, how: str = "max") -> Source:
    """A DCGM gauge per physical GPU: ``max`` de-duplicates MIG rows, ``sum`` adds per-instance values."""

    def expr(scope: Scope, _rate: str) -> str:
        readings = f"{scope.sel(metric)} < {DCGM_BLANK_FLOOR}"
        # A sum adds MIG instances: each Prometheus replica must be counted once first.
        return f"{how} by ({', '.join(DCGM_DEVICE)}) ({P.one_replica(readings) if how == 'sum' else readings})"

    return Source(expr, GPU_FIELDS)


def _npu(names: tuple[str, ...], how: str = "max", label: str | None = None) -> Source:
    """An NPU gauge per card, both vendors and both Rebellions namings; ``label`` picks Furiosa's reading."""

    def expr(scope: Scope, _rate: str) -> str:
        matchers = [names_regex(names)]
        if label is not None:
            matchers.append(regex("label", f"{label}|"))  # "" = absent: Rebellions has no such label
        return f"{how} by ({', '.join(NPU_DEVICE)}) ({scope.sel(None, *matchers)})"

    return Source(expr, NPU_FIELDS)


KEPLER_NODE: dict[str, FieldSpec] = {"node": _node(P.KEPLER)}
SCRAPE_NODE: dict[str, FieldSpec] = {"node": _node(P.CADVISOR)}
IPMI_NODE: dict[str, FieldSpec] = {"node": _node(P.IPMI)}
DCGM_NODE: dict[str, FieldSpec] = {"node": _node(P.DCGM)}
NPU_NODE: dict[str, FieldSpec] = {"node": _node(P.FURIOSA)}


def _by(keys: tuple[str, ...], expr: str) -> str:
    """``expr`` summed per ``keys``, each Prometheus replica counted once."""
    return f"sum by ({', '.join(keys)}) ({P.one_replica(expr)})"


def _kepler_node(zone: str) -> tuple[Source, Source]:
    """A RAPL zone's power per node: the 0.10+ gauge, or the rate of the 0.7 counter."""
    keys = _keys(P.KEPLER)
    k010 = Source(lambda scope, _rate: _by(keys, scope.sel("kepler_node_cpu_watts", zone_matcher(zone))), KEPLER_NODE)
    k07 = Source(lambda scope, rate: _by(keys, kepler.node_watts_07(scope, zone, rate)), KEPLER_NODE)
    return k010, k07


KEPLER_010_POD: dict[str, FieldSpec] = {
    "namespace": (("pod_namespace",), _label("pod_namespace")),
    "pod": (("pod_name",), _label("pod_name")),
    "node": _node(P.KEPLER),
}
KEPLER_07_POD: dict[str, FieldSpec] = {
    "namespace": (("container_namespace",), _label("container_namespace")),
    "pod": (("pod_name",), _label("pod_name")),
    "node": _pod_node("container_namespace"),
}
CADVISOR_POD: dict[str, FieldSpec] = {
    "namespace": (("namespace",), _label("namespace")),
    "pod": (("pod",), _label("pod")),
    "node": _node(P.CADVISOR),
}


def _kepler_pod(zone: str) -> tuple[Source, Source]:
    """A RAPL zone's power per pod: the 0.10+ pod gauge, or the rate of the 0.7 container counters."""
    k010_keys = _keys(P.KEPLER, "pod_namespace", "pod_name")
    k010 = Source(
        lambda scope, _rate: _by(k010_keys, scope.sel("kepler_pod_cpu_watts", zone_matcher(zone))), KEPLER_010_POD
    )
    k07_keys = _keys(P.KEPLER, "container_namespace", "pod_name")
    k07 = Source(lambda scope, rate: _by(k07_keys, kepler.container_watts_07(scope, zone, rate)), KEPLER_07_POD)
    return k010, k07


def _gpu_power_per_node(scope: Scope, _rate: str) -> str:
    per_gpu = f"max by ({', '.join(_keys(P.DCGM, 'UUID'))}) ({scope.sel(GPU_POWER)})"
    return f"sum by ({P.keys(P.DCGM)}) ({per_gpu})"


def _npu_power_per_node(scope: Scope, _rate: str) -> str:
    npu = npu_power(scope)
    return f"sum by ({P.keys(P.FURIOSA)}) (max by ({', '.join(_keys(P.FURIOSA, 'uuid'))}) ({npu}))"


def _dcmi(scope: Scope, _rate: str) -> str:
    return f"max by ({P.keys(P.IPMI)}) ({scope.sel('ipmi_dcmi_power_consumption_watts')})"


def _node_cpu_usage(scope: Scope, rate: str) -> str:
    root = scope.range("container_cpu_usage_seconds_total", rate, eq("id", "/"))
    return _by(_keys(P.CADVISOR), f"rate({root})")


def _node_memory(scope: Scope, _rate: str) -> str:
    return f"max by ({P.keys(P.CADVISOR)}) ({scope.sel('container_memory_working_set_bytes', eq('id', '/'))}) / {MIB}"


def _pod_cpu_usage(scope: Scope, rate: str) -> str:
    usage = scope.range("container_cpu_usage_seconds_total", rate, *APP_CONTAINERS)
    return _by(_keys(P.CADVISOR, "namespace", "pod"), f"rate({usage})")


def _pod_memory(scope: Scope, _rate: str) -> str:
    mem = scope.sel("container_memory_working_set_bytes", *APP_CONTAINERS)
    return f"{_by(_keys(P.CADVISOR, 'namespace', 'pod'), mem)} / {MIB}"


def pod_power_query(scope: Scope, rate: str) -> str:
    """``pod_power_watts``: pods' CPU + DRAM (Kepler, both generations) and every device's power.

    Tags: ``pod_k010`` (W per pod), ``pod_k07_package``/``pod_k07_dram`` (rate of the
    0.7 counters per pod), ``gpu_dev``/``npu_dev`` (W per device, MIG and partition rows
    de-duplicated), multiplied by the pods' allocation shares in the service.
    """
    k010 = _by(_keys(P.KEPLER, "pod_namespace", "pod_name"), scope.sel("kepler_pod_cpu_watts", ZONES))
    keys = _keys(P.KEPLER, "container_namespace", "pod_name")
    k07 = [tag(_by(keys, kepler.container_watts_07(scope, z, rate)), f"pod_k07_{z}") for z in kepler.ZONES_07]
    gpu = f"max by (UUID) ({scope.sel(GPU_POWER)} < {DCGM_BLANK_FLOOR})"
    npu = f"max by (uuid) ({npu_power(scope)})"
    return union(tag(k010, "pod_k010"), *k07, tag(gpu, "gpu_dev"), tag(npu, "npu_dev"))


NPU_TEMPERATURE = ("furiosa_npu_hw_temperature", "rbln_npu_temperature", "RBLN_DEVICE_STATUS:TEMPERATURE")

_CATALOG: tuple[MetricSpec, ...] = (
    # -- GPUs (dcgm-exporter) --------------------------------------------------------------------
    MetricSpec(
        "gpu_utilization_percent",
        "gpus",
        "percent",
        "avg",
        "DCGM_FI_DEV_GPU_UTIL; under MIG (no GPU_UTIL) the instances' engine activity "
        "(DCGM_FI_PROF_GR_ENGINE_ACTIVE) weighted by their slices / 7.",
        (Source(lambda scope, _rate: gpu_utilization(scope, ", ".join(DCGM_DEVICE)), GPU_FIELDS),),
    ),
    MetricSpec(
        "gpu_memory_copy_utilization_percent",
        "gpus",
        "percent",
        "avg",
        "DCGM_FI_DEV_MEM_COPY_UTIL.",
        (_dcgm("DCGM_FI_DEV_MEM_COPY_UTIL"),),
    ),
    MetricSpec(
        "gpu_temperature_celsius", "gpus", "celsius", "avg", "DCGM_FI_DEV_GPU_TEMP.", (_dcgm("DCGM_FI_DEV_GPU_TEMP"),)
    ),
    MetricSpec(
        "gpu_memory_temperature_celsius",
        "gpus",
        "celsius",
        "avg",
        "DCGM_FI_DEV_MEMORY_TEMP; GPUs without the sensor (blank sentinel) are left out.",
        (_dcgm("DCGM_FI_DEV_MEMORY_TEMP"),),
    ),
    MetricSpec(
        "gpu_power_watts", "gpus", "watts", "sum", "DCGM_FI_DEV_POWER_USAGE per physical GPU.", (_dcgm(GPU_POWER),)
    ),
    MetricSpec(
        "gpu_memory_used_mb",
        "gpus",
        "MiB",
        "sum",
        "DCGM_FI_DEV_FB_USED (MiB), MIG instances added up.",
        (_dcgm("DCGM_FI_DEV_FB_USED", "sum"),),
    ),
    MetricSpec("gpu_sm_clock_mhz", "gpus", "MHz", "avg", "DCGM_FI_DEV_SM_CLOCK.", (_dcgm("DCGM_FI_DEV_SM_CLOCK"),)),
    MetricSpec(
        "gpu_memory_clock_mhz", "gpus", "MHz", "avg", "DCGM_FI_DEV_MEM_CLOCK.", (_dcgm("DCGM_FI_DEV_MEM_CLOCK"),)
    ),
    # -- NPUs (Furiosa, Rebellions) --------------------------------------------------------------
    MetricSpec(
        "npu_utilization_percent",
        "npus",
        "percent",
        "avg",
        "Furiosa: mean of the card's cores; Rebellions: the card's utilisation.",
        (_npu(NPU_UTILIZATION, "avg"),),
    ),
    MetricSpec(
        "npu_temperature_celsius",
        "npus",
        "celsius",
        "avg",
        "The hottest sensor (Furiosa label=peak) / the card temperature (Rebellions).",
        (_npu(NPU_TEMPERATURE, label="peak"),),
    ),
    MetricSpec(
        "npu_power_watts",
        "npus",
        "watts",
        "sum",
        "Card power (Furiosa label=rms, Rebellions CARD_POWER / rbln_npu_power), partitions de-duplicated.",
        (_npu(NPU_POWER, label="rms"),),
    ),
    # -- nodes -----------------------------------------------------------------------------------
    MetricSpec(
        "node_power_watts",
        "nodes",
        "watts",
        "sum",
        "DCMI wall power where the BMC measures it, else cpu + dram + gpu + npu "
        "(the same series as /timeseries/power?group_by=node).",
        composite="node_power",
    ),
    MetricSpec(
        "node_cpu_power_watts",
        "nodes",
        "watts",
        "sum",
        "Kepler RAPL package power (idle included).",
        _kepler_node("package"),
    ),
    MetricSpec("node_dram_power_watts", "nodes", "watts", "sum", "Kepler RAPL dram power.", _kepler_node("dram")),
    MetricSpec(
        "node_gpu_power_watts",
        "nodes",
        "watts",
        "sum",
        "The node's GPUs' power (MIG rows de-duplicated).",
        (Source(_gpu_power_per_node, DCGM_NODE),),
    ),
    MetricSpec(
        "node_npu_power_watts",
        "nodes",
        "watts",
        "sum",
        "The node's NPU cards' power (partitions de-duplicated).",
        (Source(_npu_power_per_node, NPU_NODE),),
    ),
    MetricSpec(
        "node_measured_power_watts",
        "nodes",
        "watts",
        "sum",
        "ipmi_dcmi_power_consumption_watts (nodes whose BMC measures it).",
        (Source(_dcmi, IPMI_NODE),),
    ),
    MetricSpec(
        "node_cpu_usage_cores",
        "nodes",
        "cores",
        "sum",
        'cAdvisor root cgroup CPU usage (rate of container_cpu_usage_seconds_total{id="/"}).',
        (Source(_node_cpu_usage, SCRAPE_NODE),),
    ),
    MetricSpec(
        "node_memory_working_set_mb",
        "nodes",
        "MiB",
        "sum",
        "cAdvisor root cgroup working set.",
        (Source(_node_memory, SCRAPE_NODE),),
    ),
    # -- pods ------------------------------------------------------------------------------------
    MetricSpec(
        "pod_power_watts",
        "pods",
        "watts",
        "sum",
        "CPU + DRAM (Kepler) + the pod's share of its GPUs/NPUs (MIG slices / 7, partition cores / card "
        "cores; allocations at the window's end), as in /infrastructure/pods.",
        composite="pod_power",
    ),
    MetricSpec("pod_cpu_power_watts", "pods", "watts", "sum", "Kepler pod RAPL package power.", _kepler_pod("package")),
    MetricSpec("pod_dram_power_watts", "pods", "watts", "sum", "Kepler pod RAPL dram power.", _kepler_pod("dram")),
    MetricSpec(
        "pod_cpu_usage_cores",
        "pods",
        "cores",
        "sum",
        "cAdvisor CPU usage of the pod's app containers (pause and pod cgroup rows excluded).",
        (Source(_pod_cpu_usage, CADVISOR_POD),),
    ),
    MetricSpec(
        "pod_memory_working_set_mb",
        "pods",
        "MiB",
        "sum",
        "cAdvisor working set of the pod's app containers.",
        (Source(_pod_memory, CADVISOR_POD),),
    ),
)

METRICS: dict[str, MetricSpec] = {m.name: m for m in _CATALOG}
GROUP_BYS: tuple[str, ...] = tuple(dict.fromkeys(g for r in RESOURCES.values() for g in r.group_bys))
