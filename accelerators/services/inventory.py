"""Accelerators across clusters: collect, filter, order, summarise, find one device.

Every function here takes already-resolved ``Cluster`` rows (scope applied by
the caller through :func:`clusters.scope.select_clusters`) and fans out with
:func:`accelerators.devices.fetch_accelerators`: two PromQL requests per
cluster for any list or summary, whatever the number of devices.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from accelerators.devices import STATUSES, Gpu, Inventory, Npu, fetch_accelerators
from clusters.prometheus.cache import evaluation_time
from clusters.prometheus.fanout import ClusterResult, fan_out
from kcloud import audience
from kcloud.api.errors import ApiError, NotFound

Device = Gpu | Npu


@dataclass
class FleetAccelerators:
    """Every cluster's inventory at one instant, with the per-cluster outcomes."""

    evaluated_at: float
    gpus: list[Gpu]
    npus: list[Npu]
    results: list[ClusterResult]

    @property
    def outcomes(self) -> list[dict]:
        return [r.outcome() for r in self.results]

    @property
    def devices(self) -> list[Device]:
        return [*self.gpus, *self.npus]


def collect(clusters: Sequence, *, at: float | None = None, uuid: str | None = None) -> FleetAccelerators:
    """Fan out :func:`fetch_accelerators` over ``clusters`` (one aligned instant for all)."""
    t = evaluation_time(at)
    results = fan_out(clusters, lambda client, cluster: fetch_accelerators(client, cluster, at=t, uuid=uuid))
    gpus: list[Gpu] = []
    npus: list[Npu] = []
    for result in results:
        if result.ok and isinstance(result.value, Inventory):
            gpus.extend(result.value.gpus)
            npus.extend(result.value.npus)
    return FleetAccelerators(t, gpus, npus, results)


# --- filters and ordering ------------------------------------------------------------------------


@dataclass
class Filters:
    """List filters; each is a set of accepted values (empty = no filter)."""

    kinds: set[str] = field(default_factory=set)
    vendors: set[str] = field(default_factory=set)
    nodes: set[str] = field(default_factory=set)
    models: set[str] = field(default_factory=set)  # compared case-insensitively
    namespaces: set[str] = field(default_factory=set)
    pods: set[str] = field(default_factory=set)
    statuses: set[str] = field(default_factory=set)

    @property
    def empty(self) -> bool:
        return not (
            self.kinds or self.vendors or self.nodes or self.models or self.namespaces or self.pods or self.statuses
        )

    def match(self, device: Device) -> bool:
        """True when ``device`` passes every filter (namespace/pod also match MIG instances and partitions)."""
        if self.kinds and device.kind not in self.kinds:
            return False
        if self.vendors and device.vendor not in self.vendors:
            return False
        if self.nodes and device.node not in self.nodes:
            return False
        if self.models and (device.model or "").lower() not in self.models:
            return False
        if self.statuses and device.status not in self.statuses:
            return False
        if self.namespaces and not any(a.namespace in self.namespaces for a in device.allocations):
            return False
        return not (self.pods and not any(a.pod in self.pods for a in device.allocations))


def apply(devices: Iterable[Device], filters: Filters) -> list[Device]:
    """The devices passing ``filters``, in their order."""
    if filters.empty:
        return list(devices)
    return [d for d in devices if filters.match(d)]


def order(devices: list[Device], ordering: tuple[str, bool] | None) -> list[Device]:
    """Sort by one field, ``None`` last whatever the direction; default: cluster, node, index."""
    if ordering is None:
        return devices
    name, descending = ordering
    present = [d for d in devices if getattr(d, name, None) is not None]
    missing = [d for d in devices if getattr(d, name, None) is None]
    present.sort(key=lambda d: getattr(d, name), reverse=descending)
    return present + missing


# --- summaries -----------------------------------------------------------------------------------


def _mean(values: list[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def summarize(devices: Sequence[Device], *, gpu_extras: bool = False) -> dict:
    """Counts by status, total/average power, average utilisation (and GPU temperature/memory).

    Averages are over the devices that report the value (unavailable ones do
    not); ``power_watts_total`` is ``None`` when no device reports power.
    """
    powers = [d.power_watts for d in devices if d.power_watts is not None]
    utils = [d.utilization_percent for d in devices if d.utilization_percent is not None]
    out = {
        "count": len(devices),
        **{status: sum(1 for d in devices if d.status == status) for status in STATUSES},
        "power_watts_total": math.fsum(powers) if powers else None,
        "power_watts_avg": _mean(powers),
        "utilization_percent_avg": _mean(utils),
    }
    if gpu_extras:
        temps = [d.temperature_celsius for d in devices if d.temperature_celsius is not None]
        used = [d.memory_used_mb for d in devices if d.memory_used_mb is not None]
        total = [d.memory_total_mb for d in devices if d.memory_total_mb is not None]
        out.update(
            temperature_celsius_max=max(temps) if temps else None,
            temperature_celsius_avg=_mean(temps),
            memory_used_mb_total=sum(used) if used else None,
            memory_total_mb_total=sum(total) if total else None,
        )
    return out


def group_summaries(
    devices: Sequence[Device], key: Callable[[Device], str | None], *, gpu_extras: bool = False
) -> list[dict]:
    """``summarize`` per group (``name`` = the group's key), groups sorted by name."""
    groups: dict[str, list[Device]] = {}
    for device in devices:
        groups.setdefault(key(device) or "unknown", []).append(device)
    return [{"name": name, **summarize(groups[name], gpu_extras=gpu_extras)} for name in sorted(groups)]


def summary(devices: Sequence[Device], *, kinds: bool = True, gpu_extras: bool = False) -> dict:
    """Totals plus the breakdowns by kind, vendor, model and cluster."""
    out = {"totals": summarize(devices, gpu_extras=gpu_extras)}
    if kinds:
        out["by_kind"] = group_summaries(devices, lambda d: d.kind, gpu_extras=gpu_extras)
        out["by_vendor"] = group_summaries(devices, lambda d: d.vendor, gpu_extras=gpu_extras)
    out["by_model"] = group_summaries(devices, lambda d: d.model, gpu_extras=gpu_extras)
    out["by_cluster"] = group_summaries(devices, lambda d: d.cluster, gpu_extras=gpu_extras)
    return out


# --- one device ----------------------------------------------------------------------------------


@dataclass
class Found:
    """A device located in one cluster, with that cluster's row and the evaluation instant."""

    device: Device
    cluster: object
    evaluated_at: float


def find(clusters: Sequence, kind: str, uuid: str, *, at: float | None = None) -> Found:
    """The GPU or NPU ``uuid`` among ``clusters`` (two label-matched requests per cluster).

    404 when no cluster has it; when it is absent but some cluster failed to
    answer, the first failure is raised instead (we cannot tell it does not exist).
    """
    fleet = collect(clusters, at=at, uuid=uuid)
    pool: list[Device] = fleet.gpus if kind == "gpu" else fleet.npus
    wanted = uuid.lower()
    for device in pool:
        if device.uuid.lower() == wanted:
            cluster = next(r.cluster for r in fleet.results if r.cluster.name == device.cluster)
            return Found(device, cluster, fleet.evaluated_at)
    failed = [r for r in fleet.results if not r.ok]
    if failed:
        first = failed[0]
        raise ApiError(
            f"{kind.upper()} {uuid} not found in the clusters that answered; cluster {first.cluster.name} "
            f"did not answer ({audience.error_text(first.error, first.error_code)}).",
            code="cluster_unavailable",
            status_code=503,
            details={"clusters": fleet.outcomes},
        )
    raise NotFound(f"Unknown {kind.upper()}: {uuid}", details={"uuid": uuid})
