"""JSON shapes of the infrastructure API (units in every field name, null = no data)."""

from __future__ import annotations

from rest_framework import serializers

from clusters.api.serializers import ClusterOutcomeSerializer
from kcloud.api.serializers import RowSerializer

F = serializers.FloatField
NULL = {"allow_null": True, "read_only": True}


def _float(source: str | None = None) -> serializers.FloatField:
    return F(source=source, **NULL) if source else F(**NULL)


class InfraNodeSerializer(RowSerializer):
    """A node in the list."""

    name = serializers.CharField()
    cluster = serializers.CharField()
    status = serializers.CharField(help_text="One of: ready, not_ready, unknown.")
    roles = serializers.ListField(child=serializers.CharField())
    internal_ip = serializers.CharField(allow_null=True)
    kernel_version = serializers.CharField(allow_null=True)
    os_image = serializers.CharField(allow_null=True)
    kubelet_version = serializers.CharField(allow_null=True)
    cpu_cores = _float()
    memory_total_mb = _float()
    allocatable_cpu_cores = _float()
    allocatable_memory_mb = _float()
    gpu_count = serializers.IntegerField()
    npu_count = serializers.IntegerField()
    pod_count = serializers.IntegerField()
    power_watts = _float("power.power_watts")
    cpu_power_watts = _float("power.cpu_power_watts")
    dram_power_watts = _float("power.dram_power_watts")
    gpu_power_watts = _float("power.gpu_power_watts")
    npu_power_watts = _float("power.npu_power_watts")
    measured_power_watts = _float("power.measured_power_watts")


class InfraCpuPartSerializer(RowSerializer):
    power_watts = _float()
    idle_watts = _float()
    pods_watts = _float()
    system_watts = _float()


class InfraDramPartSerializer(RowSerializer):
    power_watts = _float()
    idle_watts = _float()
    pods_watts = _float()


class InfraPowerBreakdownSerializer(RowSerializer):
    """A node's power now: ``power_watts`` = measured (DCMI) when present, else the components' sum."""

    power_watts = _float()
    source = serializers.CharField(help_text="One of: measured, components.")
    cpu = InfraCpuPartSerializer()
    dram = InfraDramPartSerializer()
    gpu_power_watts = _float()
    npu_power_watts = _float()
    components_watts = _float()
    measured_power_watts = _float()
    other_watts = _float()


class InfraAllocationSerializer(RowSerializer):
    namespace = serializers.CharField()
    pod = serializers.CharField()
    container = serializers.CharField(allow_null=True)
    share = F()
    gpu_instance_id = serializers.CharField(allow_null=True)
    profile = serializers.CharField(allow_null=True)
    cores = serializers.CharField(allow_null=True)


class InfraNodeDeviceSerializer(RowSerializer):
    """A GPU or NPU on a node (full details under /api/v1/accelerators)."""

    id = serializers.CharField(source="uuid")
    model_name = serializers.CharField(allow_null=True)
    status = serializers.CharField()
    power_watts = _float()
    allocations = InfraAllocationSerializer(many=True)


class InfraPodSerializer(RowSerializer):
    """A pod with its attributed power (see the API docs for the attribution rules)."""

    namespace = serializers.CharField()
    name = serializers.CharField()
    cluster = serializers.CharField()
    node = serializers.CharField(allow_null=True)
    phase = serializers.CharField()
    containers = serializers.ListField(child=serializers.CharField())
    cpu_power_watts = _float()
    dram_power_watts = _float()
    gpu_power_watts = _float()
    npu_power_watts = _float()
    power_watts = _float()
    gpus = serializers.ListField(child=serializers.CharField())
    npus = serializers.ListField(child=serializers.CharField())
    cpu_usage_cores = _float()
    memory_working_set_mb = _float()


class InfraNodeDetailSerializer(InfraNodeSerializer):
    container_runtime_version = serializers.CharField(allow_null=True)
    system_uuid = serializers.CharField(allow_null=True)
    unschedulable = serializers.BooleanField(allow_null=True)
    kepler_generation = serializers.CharField(allow_null=True)
    capacity = serializers.DictField(child=F())
    allocatable = serializers.DictField(child=F())
    power = InfraPowerBreakdownSerializer(source="breakdown")
    gpus = InfraNodeDeviceSerializer(many=True)
    npus = InfraNodeDeviceSerializer(many=True)
    pods = InfraPodSerializer(many=True, source="node_pods")
    timestamp = serializers.DateTimeField()


class InfraContainerSerializer(RowSerializer):
    namespace = serializers.CharField()
    pod = serializers.CharField()
    name = serializers.CharField()
    cluster = serializers.CharField()
    node = serializers.CharField(allow_null=True)
    phase = serializers.CharField()
    image = serializers.CharField(allow_null=True)
    cpu_usage_cores = _float()
    memory_working_set_mb = _float()
    cpu_power_watts = _float()
    dram_power_watts = _float()
    gpu_power_watts = _float()
    npu_power_watts = _float()
    power_watts = _float()
    gpus = serializers.ListField(child=serializers.CharField())
    npus = serializers.ListField(child=serializers.CharField())


class InfraPodDetailSerializer(InfraPodSerializer):
    uid = serializers.CharField(allow_null=True)
    pod_ip = serializers.CharField(allow_null=True)
    host_ip = serializers.CharField(allow_null=True)
    owner_kind = serializers.CharField(allow_null=True)
    owner_name = serializers.CharField(allow_null=True)
    container_details = InfraContainerSerializer(many=True)
    timestamp = serializers.DateTimeField()


class InfraVmSerializer(RowSerializer):
    """A VM; ``power_watts`` only when Kepler publishes VM series, else null."""

    id = serializers.CharField()
    name = serializers.CharField(allow_null=True)
    cluster = serializers.CharField()
    domain = serializers.CharField(allow_null=True)
    project = serializers.CharField(allow_null=True)
    project_id = serializers.CharField(allow_null=True)
    flavor = serializers.CharField(allow_null=True)
    host = serializers.CharField(allow_null=True)
    state = serializers.CharField(allow_null=True)
    vcpus = serializers.IntegerField(allow_null=True)
    memory_mb = _float()
    cpu_usage_cores = _float()
    power_watts = _float()


class InfraNodeSummarySerializer(RowSerializer):
    nodes = serializers.IntegerField()
    nodes_reporting_power = serializers.IntegerField()
    nodes_with_measured_power = serializers.IntegerField()
    by_status = serializers.DictField(child=serializers.IntegerField())
    by_role = serializers.DictField(child=serializers.IntegerField())
    total = serializers.DictField(child=F())
    top = InfraNodeSerializer(many=True)
    clusters = ClusterOutcomeSerializer(many=True)
    timestamp = serializers.DateTimeField()


class InfraNamespacePowerSerializer(RowSerializer):
    cluster = serializers.CharField()
    namespace = serializers.CharField()
    pods = serializers.IntegerField()
    cpu_power_watts = F()
    dram_power_watts = F()
    gpu_power_watts = F()
    npu_power_watts = F()
    power_watts = F()


class InfraPodSummarySerializer(RowSerializer):
    pods = serializers.IntegerField()
    by_phase = serializers.DictField(child=serializers.IntegerField())
    power_watts = F()
    by_namespace = InfraNamespacePowerSerializer(many=True)
    top = InfraPodSerializer(many=True)
    clusters = ClusterOutcomeSerializer(many=True)
    timestamp = serializers.DateTimeField()


class InfraSeriesPointSerializer(RowSerializer):
    timestamp = serializers.DateTimeField()
    power_watts = _float()
    cpu_power_watts = _float()
    dram_power_watts = _float()
    gpu_power_watts = _float()
    npu_power_watts = _float()
    measured_power_watts = _float()


class InfraWindowSerializer(RowSerializer):
    window_seconds = serializers.IntegerField()
    step_seconds = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    energy_kwh = _float()
    energy_source = serializers.CharField(allow_null=True)
    parts_energy_kwh = serializers.DictField(child=F(allow_null=True))
    avg_power_watts = _float()
    min_power_watts = _float()
    max_power_watts = _float()
    series = InfraSeriesPointSerializer(many=True)


class InfraNodePowerSerializer(RowSerializer):
    node = serializers.CharField()
    cluster = serializers.CharField()
    timestamp = serializers.DateTimeField()
    now = InfraPowerBreakdownSerializer()
    window = InfraWindowSerializer()


class InfraNodeMetricsSerializer(RowSerializer):
    node = serializers.CharField()
    cluster = serializers.CharField()
    timestamp = serializers.DateTimeField()
    cpu_usage_cores = _float()
    memory_working_set_mb = _float()
    pods = serializers.IntegerField(allow_null=True)
    containers = serializers.IntegerField(allow_null=True)
    load1 = _float()
    load5 = _float()
    load15 = _float()


class InfraPodWindowSerializer(RowSerializer):
    window_seconds = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    energy_kwh = _float()
    parts_energy_kwh = serializers.DictField(child=F(allow_null=True))
    avg_power_watts = _float()


class InfraPodPowerSerializer(RowSerializer):
    namespace = serializers.CharField()
    name = serializers.CharField()
    cluster = serializers.CharField()
    node = serializers.CharField(allow_null=True)
    phase = serializers.CharField()
    timestamp = serializers.DateTimeField()
    now = serializers.DictField(child=F(allow_null=True))
    window = InfraPodWindowSerializer()


# -- /clusters/{name}/topology --------------------------------------------------------------
_NULL = {"allow_null": True, "read_only": True}


class TopologyVertexSerializer(RowSerializer):
    """One vertex of ``/clusters/{name}/topology``; fields that do not apply to its kind are null."""

    id = serializers.CharField(help_text="Unique in the graph: '<kind>:<name>' (pods 'pod:<namespace>/<name>').")
    kind = serializers.ChoiceField(choices=("node", "gpu", "mig", "npu", "partition", "pod"))
    label = serializers.CharField()
    parent = serializers.CharField(help_text="The vertex this one hangs on (node, or the physical device).", **_NULL)
    name = serializers.CharField(help_text="Node/pod name, device UUID, MIG instance id, partition cores.", **_NULL)
    namespace = serializers.CharField(**_NULL)
    node = serializers.CharField(**_NULL)
    vendor = serializers.CharField(**_NULL)
    model = serializers.CharField(**_NULL)
    index = serializers.IntegerField(**_NULL)
    status = serializers.CharField(
        help_text="node: ready|not_ready|unknown; device: active|idle|unavailable; pod: its phase.", **_NULL
    )
    utilization_percent = serializers.FloatField(**_NULL)
    temperature_celsius = serializers.FloatField(**_NULL)
    power_watts = serializers.FloatField(
        help_text="node: IT power; gpu/npu: device power; mig/partition: the device's power x power_share "
        "(a part of the parent's, never added to it); pod: attributed power. Null = not reported.",
        **_NULL,
    )
    power_share = serializers.FloatField(help_text="mig: slices / 7; partition: cores / card cores.", **_NULL)
    profile = serializers.CharField(help_text="MIG profile, e.g. 3g.40gb.", **_NULL)
    cores = serializers.CharField(help_text="NPU partition cores, e.g. 0-3.", **_NULL)


class TopologyEdgeSerializer(RowSerializer):
    """A directed edge of the topology graph."""

    source = serializers.CharField()
    target = serializers.CharField()
    kind = serializers.ChoiceField(choices=("hosts", "contains", "allocated_to"))
    share = serializers.FloatField(help_text="allocated_to: the pod's share of the source's power.", **_NULL)


class TopologyTotalsSerializer(RowSerializer):
    """Counts per vertex kind and power per level (each physical thing once)."""

    counts = serializers.DictField(child=serializers.IntegerField())
    edges = serializers.IntegerField()
    nodes_power_watts = serializers.FloatField(help_text="Sum of the node vertices: the IT power shown.", **_NULL)
    gpu_power_watts = serializers.FloatField(help_text="Sum of physical GPUs (MIG instances not added).", **_NULL)
    npu_power_watts = serializers.FloatField(help_text="Sum of NPU cards (partitions not added).", **_NULL)
    pods_power_watts = serializers.FloatField(help_text="Sum of the pods' attributed power.", **_NULL)


class TopologySerializer(RowSerializer):
    """``/clusters/{name}/topology``: the graph, or ``status: error`` with null lists when the cluster is down."""

    cluster = serializers.CharField()
    node = serializers.CharField(help_text="The ?node= filter, if any.", **_NULL)
    status = serializers.CharField(help_text="ok, or error when the cluster's Prometheus did not answer.")
    error = serializers.CharField(**_NULL)
    partial = serializers.BooleanField()
    timestamp = serializers.CharField(help_text="The instant every value describes (ISO 8601 UTC).", **_NULL)
    clusters = ClusterOutcomeSerializer(many=True)
    totals = TopologyTotalsSerializer(allow_null=True)
    nodes = TopologyVertexSerializer(many=True, allow_null=True, help_text="Graph vertices (not only k8s nodes).")
    edges = TopologyEdgeSerializer(many=True, allow_null=True)
