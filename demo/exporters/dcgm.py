"""NVIDIA dcgm-exporter: ``DCGM_FI_*`` families from the default counters CSV.

Written by a Go ``text/template``, not client_golang: labels come in a fixed
order (``gpu, UUID, pci_bus_id, device, modelName, [GPU_I_PROFILE, GPU_I_ID,]
Hostname|hostname, DCGM_FI_DRIVER_VERSION, container, namespace, pod``), int64
fields print with ``%d`` and doubles with ``%f``.  Kubernetes labels appear only
on GPUs (or MIG instances) allocated to a pod.  Under MIG every field repeats per
GPU instance; device-level ones (power, energy, temperatures, clocks) carry the
same value on each copy.  See ``docs/EXPORTERS.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from demo.catalog import DCGM_INT64_NOT_SUPPORTED
from demo.expo import labels_fixed
from demo.physics import COMPUTE, DECAY, MEMORY

if TYPE_CHECKING:
    from demo.fleet import Fleet, MigInstance, SimCluster, SimGpu, SimNode, Target


PCIE_HELP = " over the PCIe bus - including both protocol headers and data payloads - in bytes per second."
# (metric, type, HELP exactly as in default-counters.csv, reading attribute, printf style)
FIELDS: tuple[tuple[str, str, str, str, str], ...] = (
    ("DCGM_FI_DEV_SM_CLOCK", "gauge", "SM clock frequency (in MHz).", "sm_clock", "d"),
    ("DCGM_FI_DEV_MEM_CLOCK", "gauge", "Memory clock frequency (in MHz).", "mem_clock", "d"),
    ("DCGM_FI_DEV_MEMORY_TEMP", "gauge", "Memory temperature (in C).", "mem_temp_raw", "d"),
    ("DCGM_FI_DEV_GPU_TEMP", "gauge", "GPU temperature (in C).", "gpu_temp", "d"),
    ("DCGM_FI_DEV_POWER_USAGE", "gauge", "Power draw (in W).", "power", "f"),
    (
        "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION",
        "counter",
        "Total energy consumption since boot (in mJ).",
        "energy_mj",
        "d",
    ),
    ("DCGM_FI_DEV_PCIE_REPLAY_COUNTER", "counter", "Total number of PCIe retries.", "zero", "d"),
    ("DCGM_FI_DEV_GPU_UTIL", "gauge", "GPU utilization (in %).", "util", "d"),
    ("DCGM_FI_DEV_MEM_COPY_UTIL", "gauge", "Memory utilization (in %).", "copy_util", "d"),
    ("DCGM_FI_DEV_ENC_UTIL", "gauge", "Encoder utilization (in %).", "zero", "d"),
    ("DCGM_FI_DEV_DEC_UTIL", "gauge", "Decoder utilization (in %).", "zero", "d"),
    ("DCGM_FI_DEV_XID_ERRORS", "gauge", "Value of the last XID error encountered.", "xid", "d"),
    ("DCGM_FI_DEV_FB_FREE", "gauge", "Framebuffer memory free (in MiB).", "fb_free", "d"),
    ("DCGM_FI_DEV_FB_USED", "gauge", "Framebuffer memory used (in MiB).", "fb_used", "d"),
    ("DCGM_FI_DEV_FB_RESERVED", "gauge", "Framebuffer memory reserved (in MiB).", "fb_reserved", "d"),
    (
        "DCGM_FI_DEV_NVLINK_BANDWIDTH_TOTAL",
        "counter",
        "Total number of NVLink bandwidth counters for all lanes.",
        "zero",
        "d",
    ),
    ("DCGM_FI_DEV_VGPU_LICENSE_STATUS", "gauge", "vGPU License status", "zero", "d"),
    (
        "DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS",
        "counter",
        "Number of remapped rows for uncorrectable errors",
        "zero",
        "d",
    ),
    ("DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS", "counter", "Number of remapped rows for correctable errors", "zero", "d"),
    ("DCGM_FI_DEV_ROW_REMAP_FAILURE", "gauge", "Whether remapping of rows has failed", "zero", "d"),
    ("DCGM_FI_PROF_GR_ENGINE_ACTIVE", "gauge", "Ratio of time the graphics engine is active.", "gr_active", "f"),
    (
        "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE",
        "gauge",
        "Ratio of cycles the tensor (HMMA) pipe is active.",
        "tensor_active",
        "f",
    ),
    (
        "DCGM_FI_PROF_DRAM_ACTIVE",
        "gauge",
        "Ratio of cycles the device memory interface is active sending or receiving data.",
        "dram_active",
        "f",
    ),
    ("DCGM_FI_PROF_PCIE_TX_BYTES", "gauge", "The rate of data transmitted" + PCIE_HELP, "pcie_tx", "d"),
    ("DCGM_FI_PROF_PCIE_RX_BYTES", "gauge", "The rate of data received" + PCIE_HELP, "pcie_rx", "d"),
)
XID_MESSAGES = {0: "", 31: "GPU memory page fault"}


@dataclass
class GpuReading:
    """What DCGM shows for one GPU (or one MIG instance row) at one instant."""

    phase: str
    power: float  # W, NVML milliwatt resolution
    energy_mj: int
    gpu_temp: int
    mem_temp: int | None  # None when unsupported (the exporter prints the blank sentinel)
    util: int | None  # None under MIG (not supported per device)
    copy_util: int | None
    sm_clock: int
    mem_clock: int
    fb_used: int
    fb_free: int
    fb_reserved: int
    gr_active: float
    tensor_active: float
    dram_active: float
    pcie_tx: int
    pcie_rx: int
    xid: int
    zero: int = 0

    @property
    def mem_temp_raw(self) -> int:
        """Memory temperature as printed: the DCGM "not supported" sentinel when absent."""
        return DCGM_INT64_NOT_SUPPORTED if self.mem_temp is None else self.mem_temp


def reading(g: SimGpu, t: float) -> GpuReading:
    """The device-level values of GPU ``g`` at ``t``, rounded like the exporter prints them."""
    m = g.model
    seg, u = g.power.phase(t)
    p = seg.value(u)
    frac = max(0.0, (p - m.idle_watts) / (m.tdp_watts - m.idle_watts))
    it = int(t)
    ph = seg.phase
    if ph == COMPUTE:
        util, copy, sm = (100 if (it // 11) % 4 else 99), 25, m.compute_sm_clock + 15 * ((it // 13) % 3 - 1)
        gr, tensor, dram, tx = 0.97, 0.62, 0.25, 7_500_000
    elif ph == MEMORY:
        util, copy, sm, gr, tensor, dram, tx = 100, 100, m.max_sm_clock, 0.99, 0.0, 0.93, 15_800_000
    else:
        util = copy = 0
        sm = m.max_sm_clock if (ph == DECAY and u < 120.0) else m.idle_sm_clock
        gr = tensor = dram = 0.0
        tx = 1_550_000
    mig = bool(g.mig)
    used = g.fb_used_mib
    return GpuReading(
        phase=ph,
        power=round(p, 3),
        energy_mj=g.energy_mj(t),
        gpu_temp=round(m.idle_temp + frac * (m.hot_temp - m.idle_temp)),
        mem_temp=round(m.idle_temp - 1 + 12 * frac + (10 if ph == MEMORY else 0)) if m.mem_temp_supported else None,
        util=None if mig else util,
        copy_util=None if mig else copy,
        sm_clock=sm,
        mem_clock=m.mem_clock,
        fb_used=used,
        fb_free=m.memory_mib - m.reserved_mib - used,
        fb_reserved=m.reserved_mib,
        gr_active=gr,
        tensor_active=tensor,
        dram_active=dram,
        pcie_tx=tx,
        pcie_rx=tx * 9 // 10,
        xid=g.xid,
    )


def instance_reading(base: GpuReading, inst: MigInstance) -> GpuReading:
    """A MIG instance row: device-level values repeated, memory and activity per instance."""
    gr = base.gr_active if inst.activity is None else inst.activity
    return GpuReading(
        **{
            **base.__dict__,
            "fb_used": inst.fb_used_mib,
            "fb_free": inst.memory_mib - inst.fb_used_mib,
            "fb_reserved": 0,
            "gr_active": gr,
            "tensor_active": base.tensor_active if inst.activity is None else 0.0,
            "dram_active": base.dram_active if inst.activity is None else 0.3,
        }
    )


def _label_sets(fleet: Fleet, cluster: SimCluster, node: SimNode) -> list[tuple[object, object | None, str, str]]:
    """Per row: (gpu, mig instance, labels, labels for XID with err_code/err_msg)."""
    rows = []
    host_key = cluster.dcgm_hostname_label
    # The node name (NODE_NAME), or the standalone host engine's name: the scrape profile says.
    host = fleet.profile(cluster.name).hostname(node.name)
    for g in node.gpus:
        head = [
            ("gpu", str(g.index)),
            ("UUID", g.uuid),
            ("pci_bus_id", g.pci_bus_id),
            ("device", f"nvidia{g.index}"),
            ("modelName", g.model.name),
        ]
        variants = [(None, g.pod, g.container)] if not g.mig else [(i, i.pod, i.container) for i in g.mig]
        for inst, pod, container in variants:
            pairs = list(head)
            if inst is not None:
                pairs += [("GPU_I_PROFILE", inst.profile), ("GPU_I_ID", str(inst.gi_id))]
            pairs += [(host_key, host), ("DCGM_FI_DRIVER_VERSION", g.driver_version)]
            err = [("err_code", str(g.xid)), ("err_msg", XID_MESSAGES.get(g.xid, ""))]
            if pod is not None:
                k8s = [("container", container), ("namespace", pod.namespace), ("pod", pod.name)]
                xid_pairs = [*pairs, k8s[0], *err, k8s[1], k8s[2]]
                pairs = pairs + k8s
            else:
                xid_pairs = pairs + err
            rows.append((g, inst, labels_fixed(pairs), labels_fixed(xid_pairs)))
    return rows


def render(fleet: Fleet, cluster: SimCluster, node: SimNode, target: Target, t: float) -> str:
    """The dcgm-exporter page of ``node`` at ``t``."""
    rows = fleet.static(target.path, lambda: _label_sets(fleet, cluster, node))
    cache: dict[str, GpuReading] = {}
    readings: list[GpuReading] = []
    for g, inst, _l, _x in rows:
        base = cache.get(g.uuid)
        if base is None:
            base = cache[g.uuid] = reading(g, t)
        readings.append(base if inst is None else instance_reading(base, inst))
    out: list[str] = []
    for name, mtype, help_text, attr, style in FIELDS:
        out.append(f"# HELP {name} {help_text}\n# TYPE {name} {mtype}\n")
        xid = name == "DCGM_FI_DEV_XID_ERRORS"
        for (_g, _i, labels, xlabels), r in zip(rows, readings, strict=True):
            v = getattr(r, attr)
            if v is None:
                continue  # blank field: dcgm-exporter skips the sample
            if style == "f":
                out.append(f"{name}{xlabels if xid else labels} {v:f}\n")
            else:
                out.append(f"{name}{xlabels if xid else labels} {v:d}\n")
    return "".join(out)
