"""Detect which exporters, and which naming generation of each, a cluster has.

Detection works on metric names alone (one ``label/__name__/values`` request),
so it costs the same whatever the fleet size. Services read the result to pick
the right PromQL (e.g. Kepler 0.7 vs 0.10+, Rebellions legacy vs new names).
"""

from __future__ import annotations

from collections.abc import Iterable

# exporter key -> predicate on a metric name
_EXPORTERS = {
    "dcgm": lambda n: n.startswith("DCGM_FI_"),
    "kepler": lambda n: n.startswith("kepler_"),
    "ipmi": lambda n: n.startswith("ipmi_"),
    "furiosa": lambda n: n.startswith("furiosa_npu_"),
    "rebellions": lambda n: n.startswith(("rbln_npu_", "RBLN_DEVICE_STATUS:")),
    "kube_state_metrics": lambda n: n.startswith("kube_"),
    "cadvisor": lambda n: n.startswith("container_"),
    "node_exporter": lambda n: n.startswith("node_"),
    "libvirt": lambda n: n.startswith("libvirt_"),
    "openstack": lambda n: n.startswith("openstack_"),
}


def detect(metric_names: Iterable[str]) -> dict:
    """Return the capabilities dict stored on ``Cluster.capabilities``."""
    names = set(metric_names)
    exporters = {key: any(test(n) for n in names) for key, test in _EXPORTERS.items()}

    kepler_generation = None
    # 0.10+ renamed everything around node_name/zone; 0.7 has *_joules_total per component.
    if "kepler_node_cpu_joules_total" in names or "kepler_node_cpu_watts" in names:
        kepler_generation = "0.10"
    elif "kepler_node_package_joules_total" in names or "kepler_container_joules_total" in names:
        kepler_generation = "0.7"

    rebellions_naming = None
    if any(n.startswith("rbln_npu_") for n in names):
        rebellions_naming = "new"
    elif any(n.startswith("RBLN_DEVICE_STATUS:") for n in names):
        rebellions_naming = "legacy"

    return {
        "exporters": exporters,
        "kepler_generation": kepler_generation,
        "rebellions_naming": rebellions_naming,
        "dcmi_power": "ipmi_dcmi_power_consumption_watts" in names,
        "gpu_energy_counter": "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION" in names,
        "metric_count": len(names),
    }
