"""PromQL of the accelerators domain, as functions of a cluster's :class:`Scope`.

Two instant queries describe every GPU and NPU of a cluster, whatever its size
(see ``docs`` in :mod:`accelerators.devices`):

* :func:`live_gauges` - every gauge of every device in one selector
  (``__name__=~"DCGM_FI_DEV_...|furiosa_npu_...|rbln_npu_...|RBLN_DEVICE_STATUS:..."``),
  aggregated ``max by (__name__, <device keys>)`` so the answer carries only
  the labels that tell devices (and MIG instances, NPU cores) apart: identity
  labels come from the second query, once per device row, not once per metric.
* :func:`last_seen` - one row per device series (all labels kept) with the
  timestamp of its latest power sample: ``timestamp(P)`` for devices reporting
  now, ``max_over_time(timestamp(P)[1h:1m])`` for the ones that stopped within
  the last hour (they are ``unavailable``). ``timestamp()`` of a plain selector
  is the *sample's* time, so ``last_seen`` is exact, not the evaluation time.

Single-device variants add a case-insensitive UUID matcher (``UUID`` for DCGM,
``uuid`` for the NPU exporters and DCGM's ``--use-old-namespace``).
"""

from __future__ import annotations

from clusters import placement
from clusters.prometheus.promql import Matcher, Scope, eq, escape_regex, names_regex, regex, union

# DCGM gauge/counter families read by the list (metric -> what it becomes).
DCGM_FIELDS: dict[str, str] = {
    "DCGM_FI_DEV_POWER_USAGE": "power_watts",
    "DCGM_FI_DEV_GPU_TEMP": "temperature_celsius",
    "DCGM_FI_DEV_MEMORY_TEMP": "memory_temperature_celsius",
    "DCGM_FI_DEV_GPU_UTIL": "utilization_percent",
    "DCGM_FI_DEV_MEM_COPY_UTIL": "memory_copy_utilization_percent",
    "DCGM_FI_DEV_FB_USED": "fb_used",
    "DCGM_FI_DEV_FB_FREE": "fb_free",
    "DCGM_FI_DEV_FB_RESERVED": "fb_reserved",
    "DCGM_FI_DEV_SM_CLOCK": "sm_clock_mhz",
    "DCGM_FI_DEV_MEM_CLOCK": "memory_clock_mhz",
    "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION": "energy_mj",
    # Under MIG, DCGM has no GPU_UTIL: the graphics engine's activity per GPU instance (0-1) is the reading.
    "DCGM_FI_PROF_GR_ENGINE_ACTIVE": "gr_engine_active",
}
# Error counters: shown by the single-GPU endpoints only (they cost a quarter of the list's samples).
DCGM_ERROR_FIELDS: dict[str, str] = {
    "DCGM_FI_DEV_XID_ERRORS": "xid_errors",
    "DCGM_FI_DEV_PCIE_REPLAY_COUNTER": "pcie_replay_total",
    "DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS": "remapped_rows_correctable",
    "DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS": "remapped_rows_uncorrectable",
}
FURIOSA_FIELDS: dict[str, str] = {
    "furiosa_npu_alive": "alive",
    "furiosa_npu_hw_power": "power_watts",
    "furiosa_npu_hw_temperature": "temperature",  # label="peak" | "ambient"
    "furiosa_npu_core_utilization": "core_utilization",
    "furiosa_npu_core_frequency": "core_frequency",
}
# Rebellions: both naming generations (legacy default, Prometheus-style since v0.2.5).
REBELLIONS_FIELDS: dict[str, str] = {
    "RBLN_DEVICE_STATUS:CARD_POWER": "power_watts",
    "RBLN_DEVICE_STATUS:TEMPERATURE": "temperature_celsius",
    "RBLN_DEVICE_STATUS:UTILIZATION": "utilization_percent",
    "RBLN_DEVICE_STATUS:DRAM_USED": "memory_used",
    "RBLN_DEVICE_STATUS:DRAM_TOTAL": "memory_total",
    "RBLN_DEVICE_STATUS:HEALTH": "health",
    "rbln_npu_power": "power_watts",
    "rbln_npu_temperature": "temperature_celsius",
    "rbln_npu_utilization": "utilization_percent",
    "rbln_npu_memory_used": "memory_used",
    "rbln_npu_memory_total": "memory_total",
    "rbln_npu_health": "health",
}
GPU_POWER = "DCGM_FI_DEV_POWER_USAGE"
GR_ENGINE_ACTIVE = "DCGM_FI_PROF_GR_ENGINE_ACTIVE"
MIG_SLICES = 7
# DCGM's smallest blank sentinel (int32 0x7ffffff0, see clusters.prometheus.results): no real
# reading of a gauge comes near it, so "< this" drops every blank before a sum or mean.
DCGM_BLANK_FLOOR = 2147483632
GPU_ENERGY = "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION"
NPU_POWER = ("furiosa_npu_hw_power", "rbln_npu_power", "RBLN_DEVICE_STATUS:CARD_POWER")
POWER_METRICS = (GPU_POWER, *NPU_POWER)

# Labels that tell device rows apart in the aggregated gauge query.
KEY_LABELS = ("UUID", "uuid", "GPU_I_ID", "core", "label")
# How far back an absent device still counts as "unavailable" (then it is forgotten).
SEEN_WINDOW = "1h"
SEEN_RESOLUTION = "1m"

GPU_KIND = "gpu"
NPU_KIND = "npu"


def uuid_matchers(uuid: str) -> tuple[Matcher, Matcher]:
    """Case-insensitive exact matchers on ``UUID`` and on ``uuid`` (callers validate ``uuid`` first)."""
    pattern = "(?i)" + escape_regex(uuid)
    return regex("UUID", pattern), regex("uuid", pattern)


def _selectors(scope: Scope, metric: str | None, matchers: tuple[Matcher, ...], uuid: str | None) -> list[str]:
    """One selector, or two (``UUID`` and ``uuid`` variants) when filtering on a device."""
    if uuid is None:
        return [scope.sel(metric, *matchers)]
    return [scope.sel(metric, *matchers, m) for m in uuid_matchers(uuid)]


def _union(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "(" + " or ".join(parts) + ")"


def live_gauges(scope: Scope, uuid: str | None = None) -> str:
    """Every accelerator gauge at the evaluation time, reduced to the device-key labels.

    With ``uuid`` (one device) the GPU error counters are included too.
    """
    errors = list(DCGM_ERROR_FIELDS) if uuid is not None else []
    names = names_regex([*DCGM_FIELDS, *errors, *FURIOSA_FIELDS, *REBELLIONS_FIELDS])
    selector = _union(_selectors(scope, None, (names,), uuid))
    return f"max by (__name__, {', '.join(KEY_LABELS)}) ({selector})"


def last_seen(scope: Scope, uuid: str | None = None) -> str:
    """Each device series' latest power-sample timestamp: fresh ones first, then the last hour's.

    ``or`` keeps the left-hand side for equal label sets, so a fresh series is
    never shadowed by its own history, and the two Rebellions generations
    (same labels, different names) collapse into one row.
    """
    fresh: list[str] = []
    stale: list[str] = []
    for metric in POWER_METRICS:
        for selector in _selectors(scope, metric, (), uuid):
            # One row per device series, not per Prometheus replica of it.
            fresh.append(placement.one_replica(f"timestamp({selector})"))
            stale.append(
                placement.one_replica(f"max_over_time(timestamp({selector})[{SEEN_WINDOW}:{SEEN_RESOLUTION}])")
            )
    return " or ".join(fresh + stale)


def last_seen_and_placement(scope: Scope, uuid: str | None = None) -> str:
    """:func:`last_seen` and the cluster's placement inputs in one request (devices are placed on nodes)."""
    return union(last_seen(scope, uuid), *placement.parts(scope))


# Profiles of a MIG GPU instance by compute slices (``3g.40gb``, ``1c.3g.40gb`` for a compute instance).
MIG_SLICE_COUNTS = range(1, 8)


def _profile_with(slices: int) -> Matcher:
    """MIG instances of ``slices`` compute slices: ``3g.40gb``, or ``1c.3g.40gb`` for a compute instance."""
    return regex("GPU_I_PROFILE", r"([0-9]+c\.)?" + str(slices) + r"g\..*")


def gpu_utilization(scope: Scope, by: str, *matchers: Matcher) -> str:
    """GPU utilisation (%) per ``by``: DCGM_FI_DEV_GPU_UTIL, or under MIG the instances' engine activity.

    DCGM has no GPU_UTIL under MIG; each GPU instance reports
    ``DCGM_FI_PROF_GR_ENGINE_ACTIVE`` (0-1) instead. The physical GPU's utilisation is
    their activity weighted by their compute slices / 7 (one sub-expression per slice
    count, since PromQL cannot multiply by a label; each keeps its ``GPU_I_ID``, so
    ``or`` keeps them all). ``or`` prefers GPU_UTIL where both exist. ``by`` must
    identify a physical GPU (``UUID`` and labels constant per GPU).
    """
    util = f"max by ({by}) ({scope.sel('DCGM_FI_DEV_GPU_UTIL', *matchers)} < {DCGM_BLANK_FLOOR})"
    weighted = " or ".join(
        f"({scope.sel(GR_ENGINE_ACTIVE, *matchers, _profile_with(k))} * {100.0 * k / MIG_SLICES})"
        for k in MIG_SLICE_COUNTS
    )
    return f"{util} or sum by ({by}) ({placement.one_replica(weighted)})"


# --- single device: power window and time series -------------------------------------------------


def _device(scope: Scope, kind: str, uuid: str, metric: str | None, *extra: Matcher) -> str:
    """Selector of one device's series (``UUID`` label for GPUs, ``uuid`` for NPUs)."""
    label_matcher = uuid_matchers(uuid)[0 if kind == GPU_KIND else 1]
    return scope.sel(metric, *extra, label_matcher)


def _key(kind: str) -> str:
    return "UUID" if kind == GPU_KIND else "uuid"


def power_now_and_window(scope: Scope, kind: str, uuid: str, window: str, step: str, grid: str | None = None) -> str:
    """Now / avg / min / max power over ``window`` and the energy, as rows tagged ``stat``.

    MIG instances and Furiosa partitions repeat the device's power: ``max by``
    the device key de-duplicates them. GPU energy is ``increase()`` of DCGM's
    millijoule counter (reset-safe); NPU energy integrates the power gauge with a
    subquery since they have no counter: ``sum_over_time(P[grid:step]) * step`` where
    ``grid`` is the window less one step, because a subquery includes both ends (the
    same right-hand rectangle rule as monitoring's energy; without it one sample too
    many is counted).
    """
    key = _key(kind)
    if kind == GPU_KIND:
        power = _device(scope, kind, uuid, GPU_POWER)
        ranged = f"{power}[{window}]"
        energy = f"max by ({key}) (increase({_device(scope, kind, uuid, GPU_ENERGY)}[{window}]))"
    else:
        power = _device(scope, kind, uuid, None, names_regex(list(NPU_POWER)))
        ranged = f"{power}[{window}]"
        energy = f"sum_over_time((max by ({key}) ({power}))[{grid or window}:{step}])"
    parts = {
        "now": f"max by ({key}) ({power})",
        "avg": f"max by ({key}) (avg_over_time({ranged}))",
        "min": f"max by ({key}) (min_over_time({ranged}))",
        "max": f"max by ({key}) (max_over_time({ranged}))",
        "energy": energy,
        "samples": f"max by ({key}) (count_over_time({ranged}))",
    }
    return " or ".join(f'label_replace({expr}, "stat", "{name}", "", "")' for name, expr in parts.items())


# Time series: API field -> (metric families, aggregation) per kind.
GPU_SERIES: dict[str, tuple[tuple[str, ...], str]] = {
    "power_watts": ((GPU_POWER,), "max"),
    "temperature_celsius": (("DCGM_FI_DEV_GPU_TEMP",), "max"),
    "memory_temperature_celsius": (("DCGM_FI_DEV_MEMORY_TEMP",), "max"),
    "utilization_percent": (("DCGM_FI_DEV_GPU_UTIL",), "max"),
    "memory_copy_utilization_percent": (("DCGM_FI_DEV_MEM_COPY_UTIL",), "max"),
    "memory_used_mb": (("DCGM_FI_DEV_FB_USED",), "sum"),
    "memory_free_mb": (("DCGM_FI_DEV_FB_FREE",), "sum"),
    "memory_total_mb": (("DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_FB_FREE", "DCGM_FI_DEV_FB_RESERVED"), "sum"),
    "sm_clock_mhz": (("DCGM_FI_DEV_SM_CLOCK",), "max"),
    "memory_clock_mhz": (("DCGM_FI_DEV_MEM_CLOCK",), "max"),
    "total_energy_joules": ((GPU_ENERGY,), "max"),
    "xid_errors": (("DCGM_FI_DEV_XID_ERRORS",), "max"),
    "pcie_replay_total": (("DCGM_FI_DEV_PCIE_REPLAY_COUNTER",), "max"),
    "remapped_rows_correctable": (("DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS",), "max"),
    "remapped_rows_uncorrectable": (("DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS",), "max"),
}
NPU_SERIES_METRICS = (
    "power_watts",
    "temperature_celsius",
    "ambient_temperature_celsius",
    "utilization_percent",
    "memory_used_mb",
    "memory_total_mb",
)


def gpu_series(scope: Scope, uuid: str, metric: str) -> str:
    """One instant field of one GPU as a single series (MIG rows merged)."""
    if metric == "utilization_percent":
        return gpu_utilization(scope, "UUID", uuid_matchers(uuid)[0])
    families, how = GPU_SERIES[metric]
    # max: MIG rows repeat device-level values; sum: per-instance memory adds up (once per replica).
    selector = _device(scope, GPU_KIND, uuid, None, names_regex(list(families)))
    expr = f"{how} by (UUID) ({placement.one_replica(selector) if how == 'sum' else selector})"
    if metric == "total_energy_joules":
        expr = f"({expr}) / 1000"
    return expr


def npu_series(scope: Scope, uuid: str, metric: str, vendor: str) -> str:
    """One instant field of one NPU as a single series (partition duplicates merged).

    Rebellions memory comes back in the exporter's unit; the service scales it
    with the unit it detected on the device (bytes, or GiB for old exporters).
    """

    def sel(*names: str, **equals: str) -> str:
        return _device(scope, NPU_KIND, uuid, None, names_regex(list(names)), *[eq(k, v) for k, v in equals.items()])

    if vendor == "furiosa":
        exprs = {
            "power_watts": f"max by (uuid) ({sel('furiosa_npu_hw_power')})",
            "temperature_celsius": f"max by (uuid) ({sel('furiosa_npu_hw_temperature', label='peak')})",
            "ambient_temperature_celsius": f"max by (uuid) ({sel('furiosa_npu_hw_temperature', label='ambient')})",
            "utilization_percent": f"avg by (uuid) ({sel('furiosa_npu_core_utilization')})",
        }
    else:
        exprs = {
            "power_watts": f"max by (uuid) ({sel('rbln_npu_power', 'RBLN_DEVICE_STATUS:CARD_POWER')})",
            "temperature_celsius": f"max by (uuid) ({sel('rbln_npu_temperature', 'RBLN_DEVICE_STATUS:TEMPERATURE')})",
            "utilization_percent": f"max by (uuid) ({sel('rbln_npu_utilization', 'RBLN_DEVICE_STATUS:UTILIZATION')})",
            "memory_used_mb": f"max by (uuid) ({sel('rbln_npu_memory_used', 'RBLN_DEVICE_STATUS:DRAM_USED')})",
            "memory_total_mb": f"max by (uuid) ({sel('rbln_npu_memory_total', 'RBLN_DEVICE_STATUS:DRAM_TOTAL')})",
        }
    return exprs.get(metric, "")
