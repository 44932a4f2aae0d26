"""inovex/prometheus-libvirt-exporter: per-domain series on a hypervisor node.

client_golang (sorted labels, Go ``'g'`` floats).  ``libvirt_domain_openstack_info``
joins a domain to its Nova server (``instance_id``) and project.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from demo.expo import go_float, labels_sorted

if TYPE_CHECKING:
    from demo.fleet import Fleet, SimCluster, SimNode, SimVM, Target


HELP = {
    "libvirt_domain_info": ("gauge", "Metadata labels for the domain."),
    "libvirt_domain_info_cpu_time_seconds_total": ("counter", "Amount of CPU time used by the domain, in seconds."),
    "libvirt_domain_info_maximum_memory_bytes": ("gauge", "Maximum allowed memory of the domain, in bytes."),
    "libvirt_domain_info_memory_usage_bytes": ("gauge", "Memory usage of the domain, in bytes."),
    "libvirt_domain_info_state": ("gauge", "Code of the domain state"),
    "libvirt_domain_info_virtual_cpus": ("gauge", "Number of virtual CPUs for the domain."),
    "libvirt_domain_openstack_info": ("gauge", "OpenStack Metadata labels for the domain."),
}
STATES = {"ACTIVE": (1, "the domain is running"), "SHUTOFF": (5, "the domain is shut off")}


def cpu_time(vm: SimVM, t: float) -> float:
    """vCPU seconds used since the domain started (constant utilisation)."""
    return vm.vcpus * vm.cpu_util * max(0.0, t - vm.started_at)


def render(fleet: Fleet, cluster: SimCluster, node: SimNode, target: Target, t: float) -> str:
    """The libvirt exporter page of ``node`` at ``t``."""
    fam: dict[str, list[str]] = {k: [] for k in HELP}
    for vm in node.vms:
        d = labels_sorted([("domain", vm.domain)])
        code, desc = STATES[vm.status]
        running = vm.status == "ACTIVE"
        fam["libvirt_domain_info"].append(
            "libvirt_domain_info"
            + labels_sorted(
                [
                    ("domain", vm.domain),
                    ("os_type", "hvm"),
                    ("os_type_arch", "x86_64"),
                    ("os_type_machine", "pc-q35-8.2"),
                ]
            )
            + " 1\n"
        )
        fam["libvirt_domain_info_cpu_time_seconds_total"].append(
            f"libvirt_domain_info_cpu_time_seconds_total{d} {go_float(round(cpu_time(vm, t), 2))}\n"
        )
        fam["libvirt_domain_info_maximum_memory_bytes"].append(
            f"libvirt_domain_info_maximum_memory_bytes{d} {go_float(float(vm.memory_bytes))}\n"
        )
        fam["libvirt_domain_info_memory_usage_bytes"].append(
            f"libvirt_domain_info_memory_usage_bytes{d} {go_float(float(vm.memory_bytes if running else 0))}\n"
        )
        fam["libvirt_domain_info_state"].append(
            "libvirt_domain_info_state" + labels_sorted([("domain", vm.domain), ("state_desc", desc)]) + f" {code}\n"
        )
        fam["libvirt_domain_info_virtual_cpus"].append(f"libvirt_domain_info_virtual_cpus{d} {vm.vcpus}\n")
        fam["libvirt_domain_openstack_info"].append(
            "libvirt_domain_openstack_info"
            + labels_sorted(
                [
                    ("domain", vm.domain),
                    ("flavor_name", vm.flavor),
                    ("instance_id", vm.uuid),
                    ("instance_name", vm.name),
                    ("project_id", vm.project_id),
                    ("project_name", vm.project_name),
                    ("user_id", vm.user_id),
                    ("user_name", "researcher"),
                ]
            )
            + " 1\n"
        )
    out = []
    for name, (mtype, help_text) in HELP.items():
        out.append(f"# HELP {name} {help_text}\n# TYPE {name} {mtype}\n")
        out.extend(sorted(fam[name]))
    return "".join(out)
