"""openstack-exporter (Nova part), one per cloud: server status and hypervisor usage.

client_golang; HELP is the metric name without the ``openstack_nova_`` prefix,
as the exporter does.  Label sets follow ``exporters/nova.go`` (see METRICS.md;
the README example is older and shows ``aggregate``/``region``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from demo.expo import go_float, labels_sorted

if TYPE_CHECKING:
    from demo.fleet import Fleet, SimCluster, SimNode, Target


STATUS_CODE = {"ACTIVE": 0, "SHUTOFF": 11}
ZONE = "nova"


def render(fleet: Fleet, cluster: SimCluster, node: SimNode | None, target: Target, t: float) -> str:
    """The openstack-exporter page for ``cluster``'s VMs at ``t``."""
    fam: dict[str, list[str]] = {}

    def add(name: str, pairs: list[tuple[str, str]], value: float) -> None:
        fam.setdefault(name, []).append(f"openstack_nova_{name}{labels_sorted(pairs)} {go_float(float(value))}\n")

    hosts = sorted({vm.node for vm in cluster.vms})
    for vm in cluster.vms:
        add(
            "server_status",
            [
                ("id", vm.uuid),
                ("status", vm.status),
                ("name", vm.name),
                ("tenant_id", vm.project_id),
                ("user_id", vm.user_id),
                ("address_ipv4", f"192.168.10.{10 + cluster.vms.index(vm)}"),
                ("address_ipv6", ""),
                ("host_id", vm.node),
                ("hypervisor_hostname", vm.node),
                ("uuid", vm.uuid),
                ("availability_zone", ZONE),
                ("flavor_id", vm.flavor),
                ("instance_libvirt", vm.domain),
            ],
            STATUS_CODE[vm.status],
        )
    for h in hosts:
        vms = [vm for vm in cluster.vms if vm.node == h]
        running = [vm for vm in vms if vm.status == "ACTIVE"]
        hv = [("hostname", h), ("availability_zone", ZONE), ("aggregates", "")]
        tenants = sorted({vm.project_id for vm in running})
        for tenant in tenants:
            add("running_vms", [*hv, ("tenant_id", tenant)], sum(1 for vm in running if vm.project_id == tenant))
        used_cpu = sum(vm.vcpus for vm in running)
        used_mem = sum(vm.memory_bytes for vm in running)
        n = cluster.node(h)
        add("vcpus_available", hv, n.cpu_cores)
        add("vcpus_used", hv, used_cpu)
        add("memory_available_bytes", hv, n.memory_bytes)
        add("memory_used_bytes", hv, used_mem)
    add("total_vms", [], len(cluster.vms))
    add("up", [], 1)
    out = []
    for name in sorted(fam):
        out.append(f"# HELP openstack_nova_{name} {name}\n# TYPE openstack_nova_{name} gauge\n")
        out.extend(sorted(fam[name]))
    return "".join(out)
