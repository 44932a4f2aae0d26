"""The VM list: libvirt domains and OpenStack servers with their host node."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from clusters.prometheus.cache import evaluation_time
from clusters.prometheus.fanout import down_summary
from clusters.scope import Principal, select_clusters
from infrastructure.services import vms
from infrastructure.views.common import PAGE_SIZE
from infrastructure.views.nodes import node_url
from kcloud.api.errors import ApiError
from kcloud.api.params import order_rows, parse_k8s_name, parse_k8s_names, parse_ordering
from kcloud.timeutil import from_unix
from kcloud.web import Column, first, headers, values

VM_COLUMNS = (
    Column("VM", "name"),
    Column(_("Cluster"), "cluster"),
    Column(_("Host node"), "host"),
    Column(_("State"), "state"),
    Column(_("Project")),
    Column(_("Flavor")),
    Column(_("vCPUs"), "vcpus", True),
    Column(_("Memory (GiB)"), "memory_mb", True),
    Column(_("CPU use (cores)"), "cpu_usage_cores", True),
    Column(_("Power (W)"), "power_watts", True),
)
STATE_BADGES = {"active": "running", "running": "running", "shutoff": "idle", "shut_off": "idle", "paused": "pending"}


@login_required
def vm_list(request: HttpRequest) -> HttpResponse:
    """Every visible VM with its host node, state, project, flavor and size."""
    principal = Principal.from_request(request)
    context: dict = {
        "tab": "vms",
        "all_clusters": [c.name for c in principal.visible_clusters()],
        "selected": {k: values(request, k) for k in ("cluster", "host", "state")},
        "rows": [],
        "hosts": [],
        "states": [],
        "error": None,
    }
    try:
        ordering = parse_ordering(request.GET.get("ordering") or None, vms.VM_ORDERING)
        clusters = select_clusters(principal, values(request, "cluster"))
        hosts = set(parse_k8s_names("host", values(request, "host")))
        state = first(request, "state")
        if state is not None:
            state = parse_k8s_name("state", state.lower(), label=True)
    except ApiError as exc:
        context.update(error=str(exc.detail), headers=headers(VM_COLUMNS, None))
        return render(request, "infrastructure/vm_list.html", context, status=400)
    at = evaluation_time(None)
    results = vms.vm_results(clusters, at)
    every = [vm for r in results if r.ok for vm in r.value]
    rows = [vm for vm in every if (not hosts or vm.host in hosts) and (state is None or vm.state == state)]
    rows = order_rows(rows, ordering)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context.update(
        headers=headers(VM_COLUMNS, ordering),
        rows=[
            {
                "vm": vm,
                "host_url": node_url(vm.host, vm.cluster) if vm.host else None,
                "badge": STATE_BADGES.get(vm.state or "", "unknown"),
                # Without a project name, the start of its id tells projects apart.
                "project": vm.project or (vm.project_id[:12] if vm.project_id else None),
            }
            for vm in page.object_list
        ],
        hosts=sorted({vm.host for vm in every if vm.host}),
        states=sorted({vm.state for vm in every if vm.state}),
        page=page,
        total=len(every),
        matched=len(rows),
        summary=down_summary(results),
        evaluated_at=from_unix(at),
    )
    return render(request, "infrastructure/vm_list.html", context)
