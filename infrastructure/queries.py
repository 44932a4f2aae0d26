"""PromQL of the infrastructure domain, as functions of a cluster's :class:`Scope`.

Every list answer costs the same few requests per cluster whatever the fleet
size: one instant query for the Kubernetes inventory (kube-state-metrics), one
for power and usage (Kepler of *both* generations, DCMI wall power, cAdvisor),
plus the accelerators' own device queries. Several sub-expressions share one
request through ``or``; each is tagged with a ``kcloud_part`` label first,
because ``or`` matches label sets *without* the metric name and would
otherwise drop a right-hand series whose labels equal a left-hand one.

Kepler generations: 0.10+ publishes ``*_watts`` gauges, which we read as they
are (they equal the power at the sample's instant); 0.7 only has
``*_joules_total`` counters, read as ``rate(...[RATE_WINDOW])`` (the average
power over the window). Querying both generations in one request costs nothing
for the absent one and needs no capability detection.
"""

from __future__ import annotations

from clusters.prometheus.promql import Matcher, Scope, any_of, eq, names_regex, ne, regex
from infrastructure import identity

TAG = "kcloud_part"
# At least 4 x the usual 30 s scrape interval, so a rate always has several samples.
RATE_WINDOW = "2m"
# Gauge-only sources (NPU watts, DCMI watts) are integrated on this grid.
SUBQUERY_STEP = "30s"

KSM_SERIES = (
    "kube_node_info",
    "kube_node_role",
    "kube_node_spec_unschedulable",
    "kube_node_status_capacity",
    "kube_node_status_allocatable",
    "kube_pod_info",
    "kube_pod_container_info",
)
KEPLER_WATTS = ("kepler_node_cpu_watts", "kepler_node_cpu_idle_watts", "kepler_node_cpu_active_watts")
DCGM_ENERGY = "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION"  # millijoules
NPU_POWER = ("furiosa_npu_hw_power", "rbln_npu_power", "RBLN_DEVICE_STATUS:CARD_POWER")
# cAdvisor rows with container="" are the pod cgroup and (containerd) the pause
# container; "POD" is the dockershim pause container. Only app containers count.
APP_CONTAINERS = (ne("container", ""), ne("container", "POD"))


def zone_matcher(zone: str) -> Matcher:
    """RAPL zone ``package`` or ``dram``; multi-socket hosts may name them ``package-0``, ``package-1``."""
    return regex("zone", f"{zone}(-[0-9]+)?")


ZONES = regex("zone", "(package|dram)(-[0-9]+)?")


def zone_of(labels: dict[str, str]) -> str:
    """``package-1`` → ``package``: socket zones add up to the node's zone."""
    return labels.get("zone", "").split("-", 1)[0]


def tag(expr: str, name: str) -> str:
    """``label_replace(expr, "kcloud_part", name, "", "")``: mark a sub-expression's series."""
    return f'label_replace({expr}, "{TAG}", "{name}", "", "")'


def union(*exprs: str) -> str:
    """Join tagged sub-expressions into one request."""
    return " or ".join(f"({e})" for e in exprs)


# -- snapshot (lists) ------------------------------------------------------------------
def inventory(scope: Scope) -> str:
    """Nodes, pods and containers from kube-state-metrics, with each pod's phase and each node's Ready state."""
    ready = f"{scope.sel('kube_node_status_condition', eq('condition', 'Ready'))} == 1"
    phase = f"{scope.sel('kube_pod_status_phase')} == 1"
    return union(scope.sel(None, names_regex(KSM_SERIES)), tag(ready, "ready"), tag(phase, "phase"))


def power(scope: Scope) -> str:
    """Node and pod power (Kepler 0.7 and 0.10+), DCMI wall power, cAdvisor usage per pod."""
    zones = ZONES
    k010_node = scope.sel(None, names_regex(KEPLER_WATTS), zones)
    k010_pod = f"sum by (node_name, pod_namespace, pod_name, zone) ({scope.sel('kepler_pod_cpu_watts', zones)})"

    def k07(metric: str, by: str, *matchers: Matcher) -> str:
        return f"sum by ({by}) (rate({scope.range(metric, RATE_WINDOW, *matchers)}))"

    node_by = "exported_instance, instance, mode"
    pod_by = "exported_instance, instance, container_namespace, pod_name"
    not_system = ne("container_name", "system_processes")
    usage = scope.range("container_cpu_usage_seconds_total", RATE_WINDOW, *APP_CONTAINERS)
    cpu = f"sum by (namespace, pod) (rate({usage}))"
    mem = f"sum by (namespace, pod) ({scope.sel('container_memory_working_set_bytes', *APP_CONTAINERS)})"
    return union(
        k010_node,
        tag(k010_pod, "k010_pod"),
        tag(k07("kepler_node_package_joules_total", node_by), "k07_node_package"),
        tag(k07("kepler_node_dram_joules_total", node_by), "k07_node_dram"),
        tag(k07("kepler_container_package_joules_total", pod_by, not_system), "k07_pod_package"),
        tag(k07("kepler_container_dram_joules_total", pod_by, not_system), "k07_pod_dram"),
        tag(scope.sel("ipmi_dcmi_power_consumption_watts"), "dcmi"),
        tag(cpu, "pod_cpu_cores"),
        tag(mem, "pod_memory_bytes"),
    )


def containers(scope: Scope) -> str:
    """Per-container Kepler power (both generations) and cAdvisor usage."""
    zones = ZONES
    k010 = f"sum by (node_name, pod_id, container_name, zone) ({scope.sel('kepler_container_cpu_watts', zones)})"
    by = "exported_instance, instance, container_namespace, pod_name, container_name"
    not_system = ne("container_name", "system_processes")

    def k07(metric: str) -> str:
        return f"sum by ({by}) (rate({scope.range(metric, RATE_WINDOW, not_system)}))"

    cpu = (
        "sum by (namespace, pod, container) "
        f"(rate({scope.range('container_cpu_usage_seconds_total', RATE_WINDOW, *APP_CONTAINERS)}))"
    )
    mem = f"sum by (namespace, pod, container) ({scope.sel('container_memory_working_set_bytes', *APP_CONTAINERS)})"
    return union(
        tag(k010, "k010_container"),
        tag(k07("kepler_container_package_joules_total"), "k07_container_package"),
        tag(k07("kepler_container_dram_joules_total"), "k07_container_dram"),
        tag(cpu, "cpu_cores"),
        tag(mem, "memory_bytes"),
    )


# -- one node ---------------------------------------------------------------------------
def _alternatives(scope: Scope, metric: str | None, alternatives: list[list[Matcher]], *extra: Matcher) -> str:
    return " or ".join(scope.sel(metric, *alt, *extra) for alt in alternatives)


def _alternatives_range(scope: Scope, metric: str, window: str, alternatives: list[list[Matcher]]) -> list[str]:
    return [scope.range(metric, window, *alt) for alt in alternatives]


def node_energy(scope: Scope, node: str, window: str) -> str:
    """Energy of one node's parts over ``window`` (J), and its DCMI wall power statistics.

    Counters through ``increase`` (Kepler J, DCGM mJ / 1000); NPU and DCMI power are
    gauges, integrated as ``avg_over_time(x[w:30s])`` and multiplied by the window
    in the service.
    """
    kep = identity.kepler_matchers(node)
    parts = []
    for zone in ("package", "dram"):
        k010 = scope.range("kepler_node_cpu_joules_total", window, *kep[0], zone_matcher(zone))
        k07 = scope.range(f"kepler_node_{zone}_joules_total", window, *kep[1])
        parts.append(tag(f"sum(increase({k010})) or sum(increase({k07}))", f"energy_{zone}"))
    dcgm = " or ".join(
        f"max by (UUID) (increase({r}))"
        for r in _alternatives_range(scope, DCGM_ENERGY, window, identity.dcgm_matchers(node))
    )
    parts.append(tag(f"sum({dcgm}) / 1000", "energy_gpu"))
    npu = scope.sel(None, names_regex(NPU_POWER), eq("hostname", node), regex("label", "rms|"))
    parts.append(tag(f"sum(max by (uuid) (avg_over_time({npu}[{window}:{SUBQUERY_STEP}])))", "avg_npu"))
    dcmi = _alternatives(scope, "ipmi_dcmi_power_consumption_watts", identity.instance_matchers(node))
    for fn in ("avg", "min", "max"):
        parts.append(tag(f"max({fn}_over_time(({dcmi})[{window}:{SUBQUERY_STEP}]))", f"{fn}_measured"))
    return union(*parts)


def node_power_series(scope: Scope, node: str) -> str:
    """One node's power parts as time series (for ``query_range``): cpu, dram, gpu, npu, measured."""
    kep = identity.kepler_matchers(node)
    parts = []
    for zone in ("package", "dram"):
        k010 = f"sum({scope.sel('kepler_node_cpu_watts', *kep[0], eq('zone', zone))})"
        k07 = f"sum(rate({scope.range(f'kepler_node_{zone}_joules_total', RATE_WINDOW, *kep[1])}))"
        parts.append(tag(f"{k010} or {k07}", zone))
    dcgm = _alternatives(scope, "DCGM_FI_DEV_POWER_USAGE", identity.dcgm_matchers(node))
    parts.append(tag(f"sum(max by (UUID) ({dcgm}))", "gpu"))
    npu = scope.sel(None, names_regex(NPU_POWER), eq("hostname", node), regex("label", "rms|"))
    parts.append(tag(f"sum(max by (uuid) ({npu}))", "npu"))
    dcmi = _alternatives(scope, "ipmi_dcmi_power_consumption_watts", identity.instance_matchers(node))
    parts.append(tag(f"max({dcmi})", "measured"))
    return union(*parts)


def node_metrics(scope: Scope, node: str) -> str:
    """cAdvisor usage of one node (root cgroup and per pod) and node_exporter load where present."""
    inst = identity.instance_matchers(node)
    root_cpu = " or ".join(
        f"sum(rate({scope.range('container_cpu_usage_seconds_total', RATE_WINDOW, *alt, eq('id', '/'))}))"
        for alt in inst
    )
    root_mem = _alternatives(scope, "container_memory_working_set_bytes", inst, eq("id", "/"))
    apps = " or ".join(
        f"count({scope.sel('container_memory_working_set_bytes', *alt, *APP_CONTAINERS)})" for alt in inst
    )
    pods = " or ".join(
        f"count(count by (namespace, pod) ({scope.sel('container_memory_working_set_bytes', *alt, ne('pod', ''))}))"
        for alt in inst
    )
    load = _alternatives(scope, None, inst, names_regex(("node_load1", "node_load5", "node_load15")))
    return union(
        tag(f"sum({root_cpu})", "cpu_usage_cores"),
        tag(f"max({root_mem})", "memory_working_set_bytes"),
        tag(f"max({apps})", "containers"),
        tag(f"max({pods})", "pods"),
        load,
    )


# -- one pod ----------------------------------------------------------------------------
def pod_energy(scope: Scope, namespace: str, pod: str, window: str, gpus: list[str], npus: list[str]) -> str:
    """A pod's CPU/DRAM energy (Kepler, both generations) and its devices' energy over ``window``."""
    parts = []
    for zone in ("package", "dram"):
        pod_matchers = (eq("pod_namespace", namespace), eq("pod_name", pod), zone_matcher(zone))
        k010 = scope.range("kepler_pod_cpu_joules_total", window, *pod_matchers)
        k07 = scope.range(
            f"kepler_container_{zone}_joules_total", window, eq("container_namespace", namespace), eq("pod_name", pod)
        )
        parts.append(tag(f"sum(increase({k010})) or sum(increase({k07}))", f"energy_{zone}"))
    if gpus:
        dcgm = scope.range("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", window, any_of("UUID", gpus))
        parts.append(tag(f"max by (UUID) (increase({dcgm})) / 1000", "energy_gpu"))
    if npus:
        npu = scope.sel(None, names_regex(NPU_POWER), any_of("uuid", npus), regex("label", "rms|"))
        parts.append(tag(f"max by (uuid) (avg_over_time({npu}[{window}:{SUBQUERY_STEP}]))", "avg_npu"))
    return union(*parts)


# -- VMs --------------------------------------------------------------------------------
VM_SERIES = (
    "libvirt_domain_info_virtual_cpus",
    "libvirt_domain_info_maximum_memory_bytes",
    "libvirt_domain_info_state",
    "libvirt_domain_openstack_info",
    "openstack_nova_server_status",
    "kepler_vm_cpu_watts",
)


def vms(scope: Scope) -> str:
    """Every VM: libvirt domains (per hypervisor node), Nova servers, CPU usage, Kepler VM power if any."""
    cpu = f"rate({scope.range('libvirt_domain_info_cpu_time_seconds_total', RATE_WINDOW)})"
    k07 = f"sum by (vm_id) (rate({scope.range('kepler_vm_package_joules_total', RATE_WINDOW)}))"
    return union(
        scope.sel(None, names_regex(VM_SERIES)),
        tag(cpu, "cpu_usage_cores"),
        tag(k07, "k07_vm_package"),
    )
