"""``/api/v1/infrastructure/...``: nodes, pods, containers and VMs with their power.

Power attribution (also in the OpenAPI descriptions):

* CPU package and DRAM power per node, pod and container come from Kepler
  (0.10+: the ``*_watts`` gauges; 0.7: ``rate()`` of the ``*_joules_total``
  counters over 2 minutes, i.e. the average power over that window). Zone
  ``package`` already contains ``core`` and ``uncore``; they are never added.
  Kepler 0.10+ keeps idle power at node level: it is reported as the node's
  ``cpu.idle_watts`` (and ``dram.idle_watts``), never dropped.
* GPU power comes from DCGM; a pod gets the power of the GPUs whose pod labels
  name it. A MIG instance gets the GPU's power x its compute slices / 7 (DCGM
  measures power per physical GPU only); unallocated slices stay with the node.
* NPU power comes from the NPU exporters' pod labels; a Furiosa partition gets
  the card's power x its cores / the card's cores.
* ``measured_power_watts`` is the BMC's DCMI wall power (null without DCMI);
  a node's ``power_watts`` is the measured value when present, else the sum of
  CPU, DRAM, GPU and NPU power, and ``other_watts`` = measured - that sum.
"""

from __future__ import annotations

import re

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from clusters.api.base import CLUSTER
from clusters.api.base import ClusterScopedView as ClusterScopedView
from clusters.lookup import lookup, resolve_one
from clusters.prometheus.cache import evaluation_time
from infrastructure.api import serializers as s
from infrastructure.services import common, nodes, pods, vms
from infrastructure.services.snapshot import NODE_STATUSES as STATUSES
from infrastructure.services.snapshot import PHASES
from kcloud.api.errors import BadParameter, NotFound
from kcloud.api.params import (
    choose_step,
    k8s_many,
    many,
    order_rows,
    parse_bool,
    parse_choice,
    parse_duration,
    parse_float,
    parse_k8s_name,
    parse_ordering,
    parse_top,
)
from kcloud.api.views import ORDERING, PAGE, TIME, TOP, WINDOW
from kcloud.timeutil import from_unix

DOC = (__doc__ or "").partition("\n\n")[2]
MIN_WINDOW, DEFAULT_WINDOW = 300, "1h"


def _window(request) -> int:
    return parse_duration("window", request.query_params.get("window"), default=DEFAULT_WINDOW, minimum=MIN_WINDOW)


# -- nodes ---------------------------------------------------------------------------------
class NodeListView(ClusterScopedView):
    """Every node with its inventory and power now."""

    serializer_class = s.InfraNodeSerializer
    allowed_params = ("cluster", "status", "role", "has_gpu", "has_npu", "ordering", "time")

    @extend_schema(
        operation_id="infrastructure_nodes_list",
        responses=s.InfraNodeSerializer(many=True),
        description=DOC,
        parameters=[
            CLUSTER,
            OpenApiParameter("status", str, enum=list(STATUSES)),
            OpenApiParameter("role", str),
            OpenApiParameter("has_gpu", bool),
            OpenApiParameter("has_npu", bool),
            ORDERING,
            TIME,
            *PAGE,
        ],
    )
    def get(self, request):
        self.check_params()
        q = request.query_params
        role = q.get("role") or None
        filters = nodes.NodeFilters(
            status=parse_choice("status", q.get("status"), STATUSES) if q.get("status") else None,
            role=parse_k8s_name("role", role) if role else None,
            has_gpu=parse_bool("has_gpu", q.get("has_gpu")),
            has_npu=parse_bool("has_npu", q.get("has_npu")),
        )
        ordering = parse_ordering(q.get("ordering"), nodes.NODE_ORDERING)
        clusters, at = self.clusters(), evaluation_time(self.eval_time())
        results = common.snapshots(clusters, at)
        rows = order_rows(nodes.list_nodes(results, filters), ordering, key=nodes.node_value)
        return self.page(rows, s.InfraNodeSerializer, results, at)


class NodeSummaryView(ClusterScopedView):
    """Counts by status and role, total power and its parts, top nodes by power."""

    serializer_class = s.InfraNodeSummarySerializer
    allowed_params = ("cluster", "time", "top")

    @extend_schema(parameters=[CLUSTER, TIME, TOP])
    def get(self, request):
        self.check_params()
        top = parse_top(request.query_params.get("top"))
        clusters, at = self.clusters(), evaluation_time(self.eval_time())
        results = common.snapshots(clusters, at)
        body = nodes.summarize_nodes(nodes.list_nodes(results, nodes.NodeFilters()), top)
        body["clusters"] = [r.outcome() for r in results]
        body["timestamp"] = from_unix(at)
        return Response(s.InfraNodeSummarySerializer(body).data)


class _NodeDetail:
    """A node plus what its detail page needs (attributes read by the serializer)."""

    def __init__(self, node, snap, at: float) -> None:
        self._node = node
        self.breakdown = nodes.power_breakdown(node.power)
        self.node_pods = [p for _k, p in sorted(snap.pods.items()) if p.node == node.name]
        self.timestamp = from_unix(at)

    def __getattr__(self, name):
        return getattr(self._node, name)


class _NodeView(ClusterScopedView):
    allowed_params = ("cluster", "time")

    def find(self, name: str):
        """(cluster row, snapshot, node) for ``name`` (validated before any PromQL)."""
        parse_k8s_name("name", name)
        clusters, at = self.clusters(), evaluation_time(self.eval_time())
        found = lookup(common.snapshots(clusters, at), lambda snap: snap.nodes.get(name))
        result, node = resolve_one(found.found, found.failed, what="node", name=name)
        return result.cluster, result.value, node, at


class NodeDetailView(_NodeView):
    """One node: inventory, power breakdown, its GPUs/NPUs and pods."""

    serializer_class = s.InfraNodeDetailSerializer

    @extend_schema(
        description="`?cluster=` is needed only when the name exists in several clusters (else 400 listing them).",
        parameters=[OpenApiParameter("cluster", str), TIME],
    )
    def get(self, request, name: str):
        self.check_params()
        _cluster, snap, node, at = self.find(name)
        return Response(s.InfraNodeDetailSerializer(_NodeDetail(node, snap, at)).data)


class NodePowerView(_NodeView):
    """Power now (total and parts) and over a window (energy, avg/min/max, series)."""

    serializer_class = s.InfraNodePowerSerializer
    allowed_params = ("cluster", "time", "window")

    @extend_schema(
        description=DOC + "\n\nWindow energy: Kepler and DCGM counters via increase(); NPU and DCMI power are gauges "
        "integrated as avg_over_time(x[w:30s]) x w. The total is DCMI wall energy when present.",
        parameters=[OpenApiParameter("cluster", str), TIME, WINDOW],
    )
    def get(self, request, name: str):
        self.check_params()
        window = _window(request)
        step = choose_step(window, min_step=30)
        cluster, _snap, node, at = self.find(name)
        # The range ends on the step grid so charts of several callers coincide.
        stats = nodes.node_window(cluster, node, at, window, step)
        body = {
            "node": name,
            "cluster": cluster.name,
            "timestamp": from_unix(at),
            "now": nodes.power_breakdown(node.power),
            "window": {
                **stats.__dict__,
                "start": from_unix(at - window),
                "end": from_unix(at),
                "series": [{**p, "timestamp": from_unix(p["timestamp"])} for p in stats.series],
            },
        }
        return Response(s.InfraNodePowerSerializer(body).data)


class NodeMetricsView(_NodeView):
    """cAdvisor usage of the node, pod and container counts, load averages where present."""

    serializer_class = s.InfraNodeMetricsSerializer

    @extend_schema(parameters=[OpenApiParameter("cluster", str), TIME])
    def get(self, request, name: str):
        self.check_params()
        cluster, _snap, _node, at = self.find(name)
        body = {"node": name, "cluster": cluster.name, "timestamp": from_unix(at)}
        body.update(nodes.node_metrics(cluster, name, at))
        return Response(s.InfraNodeMetricsSerializer(body).data)


# -- pods ----------------------------------------------------------------------------------
def _pod_filters(view: ClusterScopedView) -> pods.PodFilters:
    q = view.request.query_params
    return pods.PodFilters(
        namespaces=k8s_many(view.request.query_params, "namespace", label=True),
        nodes=k8s_many(view.request.query_params, "node"),
        phases=many("phase", PHASES, q.getlist("phase")),
        min_power_watts=parse_float("min_power_watts", q.get("min_power_watts"), minimum=0),
        pods=k8s_many(view.request.query_params, "pod") if "pod" in view.allowed_params else (),
    )


POD_FILTERS = [
    CLUSTER,
    OpenApiParameter("namespace", str, many=True),
    OpenApiParameter("node", str, many=True),
    OpenApiParameter("phase", str, many=True, enum=list(PHASES)),
    OpenApiParameter("min_power_watts", float),
]


class PodListView(ClusterScopedView):
    """Every pod with its attributed power and usage."""

    serializer_class = s.InfraPodSerializer
    allowed_params = ("cluster", "namespace", "node", "phase", "min_power_watts", "ordering", "time")

    @extend_schema(
        operation_id="infrastructure_pods_list",
        responses=s.InfraPodSerializer(many=True),
        description=DOC,
        parameters=[*POD_FILTERS, ORDERING, TIME, *PAGE],
    )
    def get(self, request):
        self.check_params()
        filters = _pod_filters(self)
        ordering = parse_ordering(request.query_params.get("ordering"), pods.POD_ORDERING)
        clusters, at = self.clusters(), evaluation_time(self.eval_time())
        results = common.snapshots(clusters, at)
        rows = order_rows(pods.list_pods(results, filters), ordering)
        return self.page(rows, s.InfraPodSerializer, results, at)


class PodSummaryView(ClusterScopedView):
    """Counts by phase, power by namespace, top pods by power."""

    serializer_class = s.InfraPodSummarySerializer
    allowed_params = ("cluster", "namespace", "time", "top")

    @extend_schema(parameters=[CLUSTER, OpenApiParameter("namespace", str, many=True), TIME, TOP])
    def get(self, request):
        self.check_params()
        top = parse_top(request.query_params.get("top"))
        filters = pods.PodFilters(namespaces=k8s_many(request.query_params, "namespace", label=True))
        clusters, at = self.clusters(), evaluation_time(self.eval_time())
        results = common.snapshots(clusters, at)
        body = pods.summarize_pods(pods.list_pods(results, filters), top)
        body["clusters"] = [r.outcome() for r in results]
        body["timestamp"] = from_unix(at)
        return Response(s.InfraPodSummarySerializer(body).data)


class _PodView(ClusterScopedView):
    allowed_params = ("cluster", "time")

    def find_pod(self, namespace: str, name: str):
        """(cluster row, container snapshot, pod) for ``namespace/name`` (validated first)."""
        parse_k8s_name("namespace", namespace, label=True)
        parse_k8s_name("name", name)
        clusters, at = self.clusters(), evaluation_time(self.eval_time())
        results = pods.container_snapshots(clusters, at)
        found = lookup(results, lambda cs: cs.snapshot.pods.get((namespace, name)))
        result, pod = resolve_one(found.found, found.failed, what="pod", name=f"{namespace}/{name}")
        return result.cluster, result.value, pod, at


class PodDetailView(_PodView):
    """One pod with its containers."""

    serializer_class = s.InfraPodDetailSerializer

    @extend_schema(parameters=[OpenApiParameter("cluster", str), TIME])
    def get(self, request, namespace: str, name: str):
        self.check_params()
        _cluster, cs, pod, at = self.find_pod(namespace, name)
        data = s.InfraPodSerializer(pod).data
        data.update(
            uid=pod.uid,
            pod_ip=pod.pod_ip,
            host_ip=pod.host_ip,
            owner_kind=pod.owner_kind,
            owner_name=pod.owner_name,
            container_details=s.InfraContainerSerializer(
                [c for key, c in sorted(cs.containers.items()) if key[:2] == (namespace, name)], many=True
            ).data,
            timestamp=from_unix(at),
        )
        return Response(s.InfraPodDetailSerializer(data).data)


class PodPowerView(_PodView):
    """A pod's power now and its energy over a window."""

    serializer_class = s.InfraPodPowerSerializer
    allowed_params = ("cluster", "time", "window")

    @extend_schema(description=DOC, parameters=[OpenApiParameter("cluster", str), TIME, WINDOW])
    def get(self, request, namespace: str, name: str):
        self.check_params()
        window = _window(request)
        cluster, cs, pod, at = self.find_pod(namespace, name)
        gpu_shares, npu_shares = pods.device_shares(cs.snapshot, pod)
        stats = pods.pod_window(cluster, pod, at, window, gpu_shares, npu_shares)
        body = {
            "namespace": namespace,
            "name": name,
            "cluster": cluster.name,
            "node": pod.node,
            "phase": pod.phase,
            "timestamp": from_unix(at),
            "now": {k: getattr(pod, k) for k in pods.POD_POWER_FIELDS},
            "window": {**stats, "start": from_unix(at - window), "end": from_unix(at)},
        }
        return Response(s.InfraPodPowerSerializer(body).data)


# -- containers ----------------------------------------------------------------------------
class ContainerListView(ClusterScopedView):
    """Every container: cAdvisor usage and Kepler power (GPU/NPU by allocation)."""

    serializer_class = s.InfraContainerSerializer
    allowed_params = ("cluster", "namespace", "node", "pod", "phase", "min_power_watts", "ordering", "time")

    @extend_schema(
        operation_id="infrastructure_containers_list",
        responses=s.InfraContainerSerializer(many=True),
        description=DOC,
        parameters=[*POD_FILTERS, OpenApiParameter("pod", str, many=True), ORDERING, TIME, *PAGE],
    )
    def get(self, request):
        self.check_params()
        filters = _pod_filters(self)
        ordering = parse_ordering(request.query_params.get("ordering"), pods.CONTAINER_ORDERING)
        clusters, at = self.clusters(), evaluation_time(self.eval_time())
        results = pods.container_snapshots(clusters, at)
        rows = order_rows(pods.list_containers(results, filters), ordering)
        return self.page(rows, s.InfraContainerSerializer, results, at)


class ContainerDetailView(_PodView):
    """One container of a pod."""

    serializer_class = s.InfraContainerSerializer

    @extend_schema(parameters=[OpenApiParameter("cluster", str), TIME])
    def get(self, request, namespace: str, pod: str, container: str):
        self.check_params()
        parse_k8s_name("container", container, label=True)
        _cluster, cs, _pod, _at = self.find_pod(namespace, pod)
        found = cs.containers.get((namespace, pod, container))
        if found is None:
            raise NotFound(f"Unknown container: {namespace}/{pod}/{container}", details={"container": container})
        return Response(s.InfraContainerSerializer(found).data)


# -- VMs -------------------------------------------------------------------------------------
def parse_vm_id(value: str) -> str:
    """A Nova server id (UUID) or a libvirt domain name."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}", value or ""):
        raise BadParameter("id", f"{value[:70]!r} is not a VM id (a UUID or a libvirt domain name).")
    return value


class VmListView(ClusterScopedView):
    """Every VM (libvirt + OpenStack exporters) with its host node."""

    serializer_class = s.InfraVmSerializer
    allowed_params = ("cluster", "host", "state", "ordering", "time")

    @extend_schema(
        operation_id="infrastructure_vms_list",
        responses=s.InfraVmSerializer(many=True),
        parameters=[
            CLUSTER,
            OpenApiParameter("host", str, many=True),
            OpenApiParameter("state", str),
            ORDERING,
            TIME,
            *PAGE,
        ],
    )
    def get(self, request):
        self.check_params()
        hosts = k8s_many(request.query_params, "host")
        state = request.query_params.get("state") or None
        if state is not None:
            parse_k8s_name("state", state.lower(), label=True)
        ordering = parse_ordering(request.query_params.get("ordering"), vms.VM_ORDERING)
        clusters, at = self.clusters(), evaluation_time(self.eval_time())
        results = vms.vm_results(clusters, at)
        rows = [
            vm
            for r in results
            if r.ok
            for vm in r.value
            if (not hosts or vm.host in hosts) and (state is None or vm.state == state.lower())
        ]
        return self.page(order_rows(rows, ordering), s.InfraVmSerializer, results, at)


class VmDetailView(ClusterScopedView):
    """One VM by Nova id (or libvirt domain name)."""

    serializer_class = s.InfraVmSerializer
    allowed_params = ("cluster", "time")

    @extend_schema(parameters=[OpenApiParameter("cluster", str), TIME])
    def get(self, request, id: str):
        self.check_params()
        vm_id = parse_vm_id(id)
        clusters, at = self.clusters(), evaluation_time(self.eval_time())
        results = vms.vm_results(clusters, at)
        found = [(r, vm) for r in results if r.ok for vm in r.value if vm_id in (vm.id, vm.domain)]
        _result, vm = resolve_one(found, [r for r in results if not r.ok], what="vm", name=vm_id)
        return Response(s.InfraVmSerializer(vm).data)
