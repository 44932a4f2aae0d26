"""Turn the two accelerator queries' samples into :class:`Gpu` and :class:`Npu` rows.

Pure functions (no I/O), so the exporter quirks are unit-testable:

* Where a device is and which pod holds it: :mod:`clusters.placement` (the
  node from whatever labels the scrape left; the workload from ``exported_*``,
  the old ``pod_name`` spelling or ``namespace/pod`` unless those name the
  exporter itself).
* DCGM: ``UUID`` (or ``uuid`` with ``--use-old-namespace``); pod labels only on
  allocated GPUs/instances; under MIG one row per ``GPU_I_ID`` repeating
  device-level values, so memory is summed over instances and power taken once,
  and utilisation is the instances' graphics-engine activity weighted by their
  slices (DCGM has no GPU_UTIL under MIG); blank sentinels are already ``None``
  (:func:`clusters.prometheus.results.parse_value`); ``TOTAL_ENERGY_CONSUMPTION``
  is millijoules.
* Furiosa: device-wise series for the whole card (``core="0-7"``) and again per
  partition (``core="0-3"`` + the pod holding it); per-core series ``core="0"``..
  Empty labels are dropped by the exporter.
* Rebellions: legacy ``RBLN_DEVICE_STATUS:*`` or ``rbln_npu_*`` names; empty
  ``pod`` labels mean unallocated; DRAM in bytes, or GiB before v0.2.3 (a total
  below 4096 can only be GiB).
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Iterable

from accelerators.devices import MIG_SLICES, Allocation, Gpu, MigInstance, Npu, NpuCore, NpuPartition, status_of
from accelerators.queries import DCGM_ERROR_FIELDS, DCGM_FIELDS, FURIOSA_FIELDS, REBELLIONS_FIELDS
from clusters import placement as P
from clusters.prometheus.results import Sample
from kcloud.timeutil import from_unix

GIB = 1024**3
# Devices scraped together share a timestamp: share the datetime too.
_from_unix = functools.lru_cache(maxsize=256)(from_unix)
# No NPU has 4 TiB of DRAM: a total below this is in GiB (rbln-metrics-exporter before v0.2.3).
GIB_UNIT_BELOW = 4096


def _label(labels: dict[str, str], *names: str) -> str | None:
    """The first non-empty label among ``names`` (empty strings mean "absent")."""
    for name in names:
        value = labels.get(name)
        if value:
            return value
    return None


def _pod(placement: P.Placement, labels: dict[str, str]) -> tuple[str | None, str | None, str | None]:
    """(namespace, pod, container) of the workload holding a device row, or Nones when idle."""
    workload = placement.workload(labels)
    if workload is None:
        return None, None, None
    return workload.namespace, workload.pod, workload.container


def _int(value: float | None) -> int | None:
    """Whole-number gauges (MiB, MHz, counts) as ints; a fractional reading is kept as it is."""
    if value is None or math.isnan(value):
        return None
    return int(value) if float(value).is_integer() else value  # type: ignore[return-value]


def _trailing_int(text: str | None) -> int | None:
    digits = ""
    for char in reversed(text or ""):
        if not char.isdigit():
            break
        digits = char + digits
    return int(digits) if digits else None


def _mig_slices(profile: str | None) -> int | None:
    """Compute slices of a MIG profile: ``3g.40gb`` -> 3 (``1c.3g.40gb`` compute instances too)."""
    for part in (profile or "").split("."):
        if part.endswith("g") and part[:-1].isdigit():
            return int(part[:-1])
    return None


def _sum(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return math.fsum(present) if present else None


def _latest_rows(rows: list[tuple[dict[str, str], float]]) -> tuple[list[dict[str, str]], float]:
    """The label sets of the device's most recent series (older label sets are history)."""
    if len(rows) == 1:
        return [rows[0][0]], rows[0][1]
    latest = max(ts for _labels, ts in rows)
    return [labels for labels, ts in rows if ts == latest], latest


# --- GPUs -----------------------------------------------------------------------------------------


_GPU_FIELDS = {**DCGM_FIELDS, **DCGM_ERROR_FIELDS}


def _is_gpu(labels: dict[str, str]) -> bool:
    return "UUID" in labels or "modelName" in labels or "DCGM_FI_DRIVER_VERSION" in labels


def merge_gpus(
    cluster: str, gauges: list[Sample], seen: list[Sample], placement: P.Placement, tally: P.Tally
) -> list[Gpu]:
    """One :class:`Gpu` per UUID from the live gauges and the last-seen rows, placed by ``placement``."""
    rows: dict[str, list[tuple[dict[str, str], float]]] = defaultdict(list)
    for sample in seen:
        labels = sample.labels
        if not _is_gpu(labels) or sample.value is None:
            continue
        uuid = _label(labels, "UUID", "uuid")
        if uuid:
            rows[uuid].append((labels, sample.value))

    # (uuid, GPU_I_ID or "") -> field -> value. The hot loop of a big fleet: kept lean.
    values: dict[tuple[str, str], dict[str, float | None]] = defaultdict(dict)
    fields = _GPU_FIELDS
    for sample in gauges:
        labels = sample.labels
        field_name = fields.get(labels.get("__name__"))
        if field_name is None:
            continue
        uuid = labels.get("UUID") or labels.get("uuid")
        if uuid:
            values[(uuid, labels.get("GPU_I_ID", ""))][field_name] = sample.value

    fresh_uuids = {uuid for uuid, _gi in values}
    gpus = [
        _gpu(cluster, uuid, device_rows, values, uuid in fresh_uuids, placement, tally)
        for uuid, device_rows in rows.items()
    ]
    gpus.sort(key=lambda g: (g.node or "", g.index if g.index is not None else 1 << 30, g.uuid))
    return gpus


def _gpu(
    cluster: str,
    uuid: str,
    device_rows: list[tuple[dict[str, str], float]],
    values: dict[tuple[str, str], dict[str, float | None]],
    fresh: bool,
    placement: P.Placement,
    tally: P.Tally,
) -> Gpu:
    current, latest = _latest_rows(device_rows)
    first = current[0]
    instances_rows = sorted((r for r in current if r.get("GPU_I_ID")), key=lambda r: _trailing_int(r["GPU_I_ID"]) or 0)
    mig = bool(instances_rows)
    gpu = Gpu(
        uuid=uuid,
        cluster=cluster,
        node=tally.count(P.DCGM, placement.node(first, P.DCGM), first),
        index=_int(float(first["gpu"])) if first.get("gpu", "").isdigit() else None,
        device=_label(first, "device"),
        model_name=_label(first, "modelName"),
        pci_bus_id=_label(first, "pci_bus_id"),
        driver_version=_label(first, "DCGM_FI_DRIVER_VERSION", "driver_version"),
        mig_enabled=mig,
        last_seen=_from_unix(latest),
    )
    if mig:
        keys = [(uuid, r.get("GPU_I_ID", "")) for r in instances_rows]
        device_values: dict[str, float | None] = {}
        for key in keys:
            for name, value in values.get(key, {}).items():
                if device_values.get(name) is None:
                    device_values[name] = value
        used = _sum(values.get(k, {}).get("fb_used") for k in keys)
        free = _sum(values.get(k, {}).get("fb_free") for k in keys)
        reserved = _sum(values.get(k, {}).get("fb_reserved") for k in keys)
    else:  # one row: no merging to do
        device_values = values.get((uuid, first.get("GPU_I_ID", "")), {})
        used = device_values.get("fb_used")
        free = device_values.get("fb_free")
        reserved = device_values.get("fb_reserved")

    if fresh:
        power = device_values.get("power_watts")
        energy = device_values.get("energy_mj")
        gpu.power_watts = power
        gpu.temperature_celsius = device_values.get("temperature_celsius")
        gpu.memory_temperature_celsius = device_values.get("memory_temperature_celsius")
        gpu.utilization_percent = device_values.get("utilization_percent")
        gpu.memory_copy_utilization_percent = device_values.get("memory_copy_utilization_percent")
        gpu.memory_used_mb = _int(used)
        gpu.memory_free_mb = _int(free)
        gpu.memory_total_mb = (
            _int(math.fsum(v for v in (used, free, reserved) if v is not None))
            if used is not None or free is not None
            else None
        )
        gpu.sm_clock_mhz = _int(device_values.get("sm_clock_mhz"))
        gpu.memory_clock_mhz = _int(device_values.get("memory_clock_mhz"))
        gpu.total_energy_joules = None if energy is None else energy / 1000.0
        gpu.xid_errors = _int(device_values.get("xid_errors"))
        gpu.pcie_replay_total = _int(device_values.get("pcie_replay_total"))
        gpu.remapped_rows_correctable = _int(device_values.get("remapped_rows_correctable"))
        gpu.remapped_rows_uncorrectable = _int(device_values.get("remapped_rows_uncorrectable"))

    if mig:
        for r in instances_rows:
            gi = r["GPU_I_ID"]
            namespace, pod, container = _pod(placement, r)
            profile = _label(r, "GPU_I_PROFILE")
            slices = _mig_slices(profile)
            share = None if slices is None else slices / MIG_SLICES
            own = values.get((uuid, gi), {}) if fresh else {}
            active = own.get("gr_engine_active")
            gpu.mig_instances.append(
                MigInstance(
                    gpu_instance_id=_trailing_int(gi) if gi.isdigit() else gi,  # type: ignore[arg-type]
                    profile=profile,
                    namespace=namespace,
                    pod=pod,
                    container=container,
                    memory_used_mb=_int(own.get("fb_used")),
                    memory_free_mb=_int(own.get("fb_free")),
                    utilization_percent=None if active is None else 100.0 * active,
                    power_share=share,
                    power_watts=None if share is None or gpu.power_watts is None else gpu.power_watts * share,
                )
            )
            if pod is not None and namespace is not None:
                gpu.allocations.append(
                    Allocation(namespace, pod, container, share or 0.0, gpu_instance_id=gi, profile=profile)
                )
        if fresh:
            gpu.utilization_percent = _mig_utilization(gpu.mig_instances)
    else:
        gpu.namespace, gpu.pod, gpu.container = _pod(placement, first)
        if gpu.pod is not None and gpu.namespace is not None:
            gpu.allocations.append(Allocation(gpu.namespace, gpu.pod, gpu.container, 1.0))

    gpu.status = status_of(fresh, bool(gpu.allocations), gpu.utilization_percent)
    return gpu


def _mig_utilization(instances: list[MigInstance]) -> float | None:
    """The physical GPU's utilisation under MIG: each instance's engine activity x its slices / 7.

    Slices not in any instance are idle. Unknown (None, never 0 %) when an
    instance has no activity reading or no known profile.
    """
    total = 0.0
    for instance in instances:
        if instance.utilization_percent is None or instance.power_share is None:
            return None
        total += instance.utilization_percent * instance.power_share
    return total if instances else None


# --- NPUs -----------------------------------------------------------------------------------------


def _npu_vendor(labels: dict[str, str]) -> str | None:
    if _is_gpu(labels):
        return None
    if "arch" in labels or "pert_version" in labels:
        return "furiosa"
    if "card" in labels or "deviceID" in labels or "name" in labels:
        return "rebellions"
    return None


def _core_range(core: str | None) -> tuple[int, int] | None:
    """``"0-3"`` -> (0, 3); ``"5"`` -> (5, 5); anything else None."""
    if not core:
        return None
    low, _, high = core.partition("-")
    if not low.isdigit() or (high and not high.isdigit()):
        return None
    return int(low), int(high or low)


def merge_npus(
    cluster: str, gauges: list[Sample], seen: list[Sample], placement: P.Placement, tally: P.Tally
) -> list[Npu]:
    """One :class:`Npu` per card UUID from the live gauges and the last-seen rows, placed by ``placement``."""
    rows: dict[str, list[tuple[dict[str, str], float]]] = defaultdict(list)
    vendors: dict[str, str] = {}
    for sample in seen:
        vendor = _npu_vendor(sample.labels)
        uuid = sample.labels.get("uuid")
        if vendor is None or not uuid or sample.value is None:
            continue
        rows[uuid].append((sample.labels, sample.value))
        vendors[uuid] = vendor

    furiosa: dict[str, list[Sample]] = defaultdict(list)
    rebellions: dict[str, dict[str, float | None]] = defaultdict(dict)
    for sample in gauges:
        name = sample.labels.get("__name__", "")
        uuid = sample.labels.get("uuid")
        if not uuid:
            continue
        if name in FURIOSA_FIELDS:
            furiosa[uuid].append(sample)
        elif name in REBELLIONS_FIELDS:
            rebellions[uuid][REBELLIONS_FIELDS[name]] = sample.value

    npus = []
    for uuid, device_rows in rows.items():
        if vendors[uuid] == "furiosa":
            npu = _furiosa(cluster, uuid, device_rows, furiosa.get(uuid), placement)
        else:
            npu = _rebellions(cluster, uuid, device_rows, rebellions.get(uuid), placement)
        source = P.FURIOSA if npu.vendor == "furiosa" else P.REBELLIONS
        labels = _latest_rows(device_rows)[0][0]
        npu.node = tally.count(source, placement.node(labels, source), labels)
        npus.append(npu)
    npus.sort(key=lambda x: (x.node or "", x.index if x.index is not None else 1 << 30, x.id))
    return npus


def _npu_base(cluster: str, uuid: str, vendor: str, labels: dict[str, str], latest: float) -> Npu:
    device = _label(labels, "device", "name")
    return Npu(
        id=uuid,
        vendor=vendor,
        model=_label(labels, "arch", "card"),
        cluster=cluster,
        node=None,  # placed by merge_npus
        device=device,
        index=_trailing_int(device),
        pci_bus_id=_label(labels, "pci_bus_id"),
        driver_version=_label(labels, "driver_version"),
        firmware_version=_label(labels, "firmware_version"),
        last_seen=_from_unix(latest),
    )


def _furiosa(
    cluster: str,
    uuid: str,
    device_rows: list[tuple[dict[str, str], float]],
    samples: list[Sample] | None,
    placement: P.Placement,
) -> Npu:
    current, latest = _latest_rows(device_rows)
    ranges = [(r, _core_range(r.get("core"))) for r in current]
    # The whole card is the widest core range; the others are partitions of it.
    whole_labels, whole_range = max(ranges, key=lambda item: (item[1][1] - item[1][0]) if item[1] else -1)
    npu = _npu_base(cluster, uuid, "furiosa", whole_labels, latest)
    fresh = samples is not None

    cores: dict[int, NpuCore] = {}
    device_values: dict[tuple[str, str], float | None] = {}
    whole_core = whole_labels.get("core", "")
    for sample in samples or []:
        name = FURIOSA_FIELDS[sample.labels["__name__"]]
        core = sample.labels.get("core", "")
        if name in ("core_utilization", "core_frequency"):
            index = _trailing_int(core) if core.isdigit() else None
            if index is None:
                continue
            entry = cores.setdefault(index, NpuCore(index, None, None))
            if name == "core_utilization":
                entry.utilization_percent = sample.value
            else:
                entry.frequency_mhz = sample.value
        elif core == whole_core or (name, sample.labels.get("label", "")) not in device_values:
            # Whole-card series win; a partition's copy (identical values) is only a fallback.
            device_values[(name, sample.labels.get("label", ""))] = sample.value

    if cores:
        npu.core_count = len(cores)
    elif whole_range is not None:
        npu.core_count = whole_range[1] - whole_range[0] + 1
    if fresh:
        npu.cores = [cores[i] for i in sorted(cores)]
        npu.power_watts = device_values.get(("power_watts", "rms"), device_values.get(("power_watts", "")))
        npu.temperature_celsius = device_values.get(("temperature", "peak"))
        npu.ambient_temperature_celsius = device_values.get(("temperature", "ambient"))
        utilizations = [c.utilization_percent for c in npu.cores if c.utilization_percent is not None]
        npu.utilization_percent = math.fsum(utilizations) / len(utilizations) if utilizations else None
        alive = device_values.get(("alive", ""))
        npu.health = None if alive is None else ("healthy" if alive >= 1 else "unhealthy")

    npu.namespace, npu.pod, npu.container = _pod(placement, whole_labels)
    if npu.pod is not None and npu.namespace is not None:
        npu.allocations.append(Allocation(npu.namespace, npu.pod, npu.container, 1.0))
    seen_partitions: set[str] = set()
    for labels, core_range in sorted(ranges, key=lambda item: item[1] or (0, 0)):
        cores_text = labels.get("core", "")
        if labels is whole_labels or core_range is None or cores_text in seen_partitions:
            continue
        seen_partitions.add(cores_text)
        namespace, pod, container = _pod(placement, labels)
        count = core_range[1] - core_range[0] + 1
        share = count / npu.core_count if npu.core_count else None
        npu.partitions.append(
            NpuPartition(
                cores=cores_text,
                core_count=count,
                namespace=namespace,
                pod=pod,
                container=container,
                power_share=share,
                power_watts=None if share is None or npu.power_watts is None else npu.power_watts * share,
            )
        )
        if pod is not None and namespace is not None:
            npu.allocations.append(Allocation(namespace, pod, container, share or 0.0, cores=cores_text))
    npu.status = status_of(fresh, bool(npu.allocations), npu.utilization_percent)
    return npu


def _rebellions(
    cluster: str,
    uuid: str,
    device_rows: list[tuple[dict[str, str], float]],
    values: dict[str, float | None] | None,
    placement: P.Placement,
) -> Npu:
    current, latest = _latest_rows(device_rows)
    labels = current[0]
    npu = _npu_base(cluster, uuid, "rebellions", labels, latest)
    fresh = values is not None
    if fresh:
        npu.power_watts = values.get("power_watts")
        npu.temperature_celsius = values.get("temperature_celsius")
        npu.utilization_percent = values.get("utilization_percent")
        used, total = values.get("memory_used"), values.get("memory_total")
        scale = GIB if total is not None and 0 < total < GIB_UNIT_BELOW else 1
        npu.memory_used_bytes = None if used is None else round(used * scale)
        npu.memory_total_bytes = None if total is None else round(total * scale)
        npu.memory_unit_bytes = scale
        health = values.get("health")
        npu.health = None if health is None else ("healthy" if health == 0 else "unhealthy")
    npu.namespace, npu.pod, npu.container = _pod(placement, labels)
    if npu.pod is not None and npu.namespace is not None:
        npu.allocations.append(Allocation(npu.namespace, npu.pod, npu.container, 1.0))
    npu.status = status_of(fresh, bool(npu.allocations), npu.utilization_percent)
    return npu
