"""Accelerator devices as plain dataclasses, fetched per cluster in a constant number of queries.

This is the interface other domains build on (node and pod power use
:func:`fetch_accelerators` and each device's ``allocations``):

* ``fetch_accelerators(client, cluster)`` runs inside ``fan_out`` workers: no
  database access, and **two** PromQL requests per cluster whatever the fleet
  size (:func:`accelerators.queries.live_gauges` and
  :func:`accelerators.queries.last_seen_and_placement`), evaluated at one
  aligned instant; the merged inventory is cached for the live window and
  shared by every caller. Each device's node and the pod holding it come from
  :mod:`clusters.placement` (whatever labels the scrape setup left), and the
  cluster's placement travels with the inventory for other services to reuse.
* GPU error counters (``xid_errors``, ``pcie_replay_total``, ``remapped_rows_*``)
  are fetched only for a single device (``uuid=``); in lists they are ``None``.
* Power attribution (``Allocation.share``): a whole device held by a pod -> 1.0;
  a MIG instance -> its compute slices / 7 (``3g.40gb`` -> 3/7; DCGM reports
  power per physical GPU only, repeated on each ``GPU_I_ID`` row; unallocated
  slices stay unattributed); a Furiosa partition -> its cores / the card's cores
  (``0-3`` of 8 -> 0.5). Multiply by the device's ``power_watts``.
* ``status``: ``unavailable`` when the device reported within the last hour but
  has no fresh sample (``last_seen`` says when; live values are ``None``),
  ``active`` when its utilisation is >= 1 %, else ``idle`` (an allocated GPU at
  0 % is idle, which is what "idle waste" counts). Under MIG, DCGM drops
  GPU_UTIL: the utilisation is the instances' graphics-engine activity
  (``DCGM_FI_PROF_GR_ENGINE_ACTIVE``) weighted by their compute slices of 7;
  without that reading it is unknown (never 0 %) and allocation decides the status.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from accelerators import queries
from clusters import placement as P
from clusters.prometheus.cache import LIVE, evaluation_time
from clusters.prometheus.client import PrometheusClient
from clusters.prometheus.gcpause import gc_paused
from clusters.prometheus.threads import beside

MIG_SLICES = 7  # compute slices of a MIG-capable GPU (A100 / H100 / H200)
ACTIVE_UTILIZATION_PERCENT = 1.0  # status_of uses it
STATUSES = ("active", "idle", "unavailable")


@dataclass(frozen=True, slots=True)
class Allocation:
    """One pod's use of a device (or of a MIG instance / NPU partition)."""

    namespace: str
    pod: str
    container: str | None
    share: float  # fraction of the device's power attributed to this pod
    gpu_instance_id: str | None = None  # MIG
    profile: str | None = None  # MIG
    cores: str | None = None  # NPU partition, e.g. "0-3"


@dataclass(slots=True)
class MigInstance:
    """One MIG GPU instance of a physical GPU."""

    gpu_instance_id: int
    profile: str | None
    namespace: str | None
    pod: str | None
    container: str | None
    memory_used_mb: int | None
    memory_free_mb: int | None
    utilization_percent: float | None  # graphics-engine activity of the instance (None: not reported)
    power_share: float | None  # compute slices / 7
    power_watts: float | None  # the GPU's power times power_share


@dataclass(slots=True)
class Gpu:
    """One physical NVIDIA GPU as dcgm-exporter reports it (MIG rows merged)."""

    uuid: str
    cluster: str
    node: str | None
    index: int | None
    device: str | None
    model_name: str | None
    pci_bus_id: str | None
    driver_version: str | None
    power_watts: float | None = None
    temperature_celsius: float | None = None
    memory_temperature_celsius: float | None = None
    utilization_percent: float | None = None
    memory_copy_utilization_percent: float | None = None
    memory_used_mb: int | None = None
    memory_free_mb: int | None = None
    memory_total_mb: int | None = None
    sm_clock_mhz: int | None = None
    memory_clock_mhz: int | None = None
    total_energy_joules: float | None = None
    namespace: str | None = None
    pod: str | None = None
    container: str | None = None
    mig_enabled: bool = False
    mig_instances: list[MigInstance] = field(default_factory=list)
    xid_errors: int | None = None
    pcie_replay_total: int | None = None
    remapped_rows_correctable: int | None = None
    remapped_rows_uncorrectable: int | None = None
    status: str = "unavailable"
    last_seen: datetime | None = None
    allocations: list[Allocation] = field(default_factory=list)

    kind = "gpu"
    vendor = "nvidia"

    @property
    def id(self) -> str:
        return self.uuid

    @property
    def model(self) -> str | None:
        return self.model_name


@dataclass(slots=True)
class NpuCore:
    """One NPU core (Furiosa reports utilisation and frequency per core)."""

    core: int
    utilization_percent: float | None
    frequency_mhz: float | None


@dataclass(slots=True)
class NpuPartition:
    """A slice of a Furiosa card held by one pod (``cores`` like ``"0-3"``)."""

    cores: str
    core_count: int
    namespace: str | None
    pod: str | None
    container: str | None
    power_share: float | None
    power_watts: float | None


@dataclass(slots=True)
class Npu:
    """One NPU card (Furiosa RNGD/WARBOY or Rebellions ATOM), partition duplicates merged."""

    id: str  # the card UUID as the exporter reports it
    vendor: str  # furiosa | rebellions
    model: str | None  # Furiosa arch (rngd, warboy) or Rebellions card (RBLN-CA22)
    cluster: str
    node: str | None
    device: str | None
    index: int | None
    pci_bus_id: str | None
    driver_version: str | None
    firmware_version: str | None
    power_watts: float | None = None
    temperature_celsius: float | None = None  # the hottest sensor (Furiosa "peak")
    ambient_temperature_celsius: float | None = None
    utilization_percent: float | None = None  # Furiosa: mean over the card's cores
    cores: list[NpuCore] = field(default_factory=list)
    core_count: int | None = None
    memory_used_bytes: int | None = None
    memory_total_bytes: int | None = None
    health: str | None = None  # healthy | unhealthy
    namespace: str | None = None
    pod: str | None = None
    container: str | None = None
    partitions: list[NpuPartition] = field(default_factory=list)
    status: str = "unavailable"
    last_seen: datetime | None = None
    allocations: list[Allocation] = field(default_factory=list)
    memory_unit_bytes: int = 1  # what one unit of the exporter's DRAM gauges is (GiB on old Rebellions)

    kind = "npu"

    @property
    def uuid(self) -> str:
        return self.id

    @property
    def model_name(self) -> str | None:
        return self.model

    @property
    def memory_used_mb(self) -> float | None:
        return None if self.memory_used_bytes is None else self.memory_used_bytes / 2**20

    @property
    def memory_total_mb(self) -> float | None:
        return None if self.memory_total_bytes is None else self.memory_total_bytes / 2**20


@dataclass(slots=True)
class Inventory:
    """Every accelerator of one cluster at ``evaluated_at`` (unix seconds)."""

    cluster: str
    evaluated_at: float
    gpus: list[Gpu]
    npus: list[Npu]
    placement: P.Placement = field(default_factory=P.Placement)
    tally: P.Tally = field(default_factory=P.Tally)


def fetch_accelerators(
    client: PrometheusClient, cluster, *, at: float | None = None, uuid: str | None = None
) -> Inventory:
    """Every GPU and NPU of ``cluster`` (or only the device ``uuid``): two cached PromQL requests.

    Runs in fan-out workers: reads only the cluster row's fields, never the database.
    The returned objects are shared with other callers in the same live window:
    treat them as read-only.
    """
    from accelerators.merge import merge_gpus, merge_npus
    from clusters.prometheus.memo import memoized

    t = evaluation_time(at)
    scope = cluster.scope

    def compute() -> Inventory:
        # Not through cached_query: the merged result is what is cached (a tenth of the size to pickle).
        # The two requests run side by side: the cluster costs the slower one, not their sum.
        with gc_paused():
            pending = beside(client.query, queries.live_gauges(scope, uuid), time=t)
            seen = client.query(queries.last_seen_and_placement(scope, uuid), time=t)
            gauges = pending.result()
            placement = P.Placement.from_samples(seen.samples)
            tally = P.Tally()
            return Inventory(
                cluster=cluster.name,
                evaluated_at=t,
                gpus=merge_gpus(cluster.name, gauges.samples, seen.samples, placement, tally),
                npus=merge_npus(cluster.name, gauges.samples, seen.samples, placement, tally),
                placement=placement,
                tally=tally,
            )

    # The merged result is cached (Django cache + in-process) for the live window (read-only!).
    return memoized(("accelerators", client.cache_version, scope, t, uuid or ""), LIVE, compute)


def status_of(fresh: bool, allocated: bool, utilization: float | None) -> str:
    """``unavailable`` / ``active`` / ``idle`` (see the module docstring)."""
    if not fresh:
        return "unavailable"
    if utilization is None or math.isnan(utilization):
        # No reading (a MIG GPU: DCGM drops GPU_UTIL under MIG): allocation is the best signal.
        return "active" if allocated else "idle"
    return "active" if utilization >= ACTIVE_UTILIZATION_PERCENT else "idle"
