"""A tiny fleet with the `demo.fleet` interface, for harness tests that must not depend on it.

The real simulator (`demo.fleet`) is the subject of its own tests; the
harness only needs something that renders exposition text deterministically
and has the awkward bits that matter to storage: an exposed ``instance``
label (renamed ``exported_instance``), a name with a colon, an empty label,
a ``_total`` counter and a target that goes down.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FleetSize:
    clusters: int
    nodes_per_cluster: int
    gpus_per_node: int


@dataclass(frozen=True)
class Target:
    cluster: str
    job: str
    instance: str
    exporter: str
    node: str | None
    path: str


@dataclass(frozen=True)
class SimCluster:
    name: str
    scrape_interval_seconds: float = 30.0
    nodes: tuple[str, ...] = ()


def gpu_power(cluster: str, node: str, gpu: int, t: float) -> float:
    """A smooth, deterministic power curve (W) with a 1 h period."""
    phase = (sum(map(ord, cluster + node)) + gpu) % 17
    return round(200.0 + 150.0 * math.sin(2 * math.pi * (t / 3600.0) + phase), 3)


@dataclass
class StandinFleet:
    seed: int = 7
    size: FleetSize = field(default_factory=lambda: FleetSize(3, 2, 2))
    epoch: float = 0.0
    clusters: list[SimCluster] = field(default_factory=list)
    down_node: tuple[str, str] | None = None  # (cluster, node) down in odd minutes

    def __post_init__(self) -> None:
        if not self.clusters:
            self.clusters = [
                SimCluster(f"sim-{i}", 30.0, tuple(f"node-{i}-{n}" for n in range(self.size.nodes_per_cluster)))
                for i in range(self.size.clusters)
            ]

    def targets(self, cluster: str | None = None) -> list[Target]:
        out = []
        for c in self.clusters:
            if cluster is not None and c.name != cluster:
                continue
            for node in c.nodes:
                out.append(
                    Target(c.name, "dcgm-exporter", f"{node}:9400", "dcgm", node, f"/metrics/{c.name}/dcgm/{node}")
                )
                out.append(Target(c.name, "kepler", f"{node}:9102", "kepler", node, f"/metrics/{c.name}/kepler/{node}"))
            out.append(
                Target(c.name, "rbln-metrics-exporter", "rbln:9090", "rbln", None, f"/metrics/{c.name}/rbln/cluster")
            )
        return out

    def honor_labels(self, target: Target) -> bool:
        return False

    def render(self, target: Target, t: float) -> str | None:
        if self.down_node == (target.cluster, target.node) and int(t // 60) % 2 == 1:
            return None
        lines: list[str] = []
        if target.exporter == "dcgm":
            lines.append("# HELP DCGM_FI_DEV_POWER_USAGE Power draw (in W).")
            lines.append("# TYPE DCGM_FI_DEV_POWER_USAGE gauge")
            for g in range(self.size.gpus_per_node):
                p = gpu_power(target.cluster, target.node or "", g, t)
                lines.append(
                    f'DCGM_FI_DEV_POWER_USAGE{{gpu="{g}",UUID="GPU-{target.node}-{g}",device="nvidia{g}",'
                    f'modelName="NVIDIA H100 80GB HBM3",Hostname="{target.node}",pod=""}} {p}'
                )
            lines.append("# TYPE DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION counter")
            for g in range(self.size.gpus_per_node):
                lines.append(
                    f'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{{gpu="{g}",UUID="GPU-{target.node}-{g}"}} '
                    f"{int((t - self.epoch) * 200_000)}"
                )
        elif target.exporter == "kepler":
            lines.append("# TYPE kepler_node_package_joules_total counter")
            lines.append(
                f'kepler_node_package_joules_total{{instance="{target.node}",mode="dynamic",package="0",'
                f'source="rapl-sysfs"}} {(t - self.epoch) * 90.0:.3f}'
            )
        else:
            lines.append("# TYPE RBLN_DEVICE_STATUS:CARD_POWER gauge")
            lines.append(f'RBLN_DEVICE_STATUS:CARD_POWER{{card="0",name="RBLN-CA22",pod=""}} {60 + int(t) % 7}')
            lines.append("# TYPE kube_node_info gauge")
            lines.append('kube_node_info{node="a b/c",job="x"} 1')
        return "\n".join(lines) + "\n"


def build_standin(epoch: float = 0.0, **kwargs) -> StandinFleet:
    return StandinFleet(epoch=epoch, **kwargs)
