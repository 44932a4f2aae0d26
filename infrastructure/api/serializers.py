"""JSON shapes of the infrastructure API (units in every field name, null = no data)."""

from __future__ import annotations

from rest_framework import serializers

F = serializers.FloatField
NULL = {"allow_null": True, "read_only": True}


def _float(source: str | None = None) -> serializers.FloatField:
    return F(source=source, **NULL) if source else F(**NULL)


class InfraClusterOutcomeSerializer(serializers.Serializer):
    name = serializers.CharField()
    status = serializers.CharField(help_text="One of: ok, error.")
    error = serializers.CharField(allow_null=True)
    latency_ms = F(allow_null=True)


class InfraNodeSerializer(serializers.Serializer):
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


class InfraCpuPartSerializer(serializers.Serializer):
    power_watts = _float()
    idle_watts = _float()
    pods_watts = _float()
    system_watts = _float()


class InfraDramPartSerializer(serializers.Serializer):
    power_watts = _float()
    idle_watts = _float()
    pods_watts = _float()


class InfraPowerBreakdownSerializer(serializers.Serializer):
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


class InfraAllocationSerializer(serializers.Serializer):
    namespace = serializers.CharField()
    pod = serializers.CharField()
    container = serializers.CharField(allow_null=True)
    share = F()
    gpu_instance_id = serializers.CharField(allow_null=True)
    profile = serializers.CharField(allow_null=True)
    cores = serializers.CharField(allow_null=True)


class InfraNodeDeviceSerializer(serializers.Serializer):
    """A GPU or NPU on a node (full details under /api/v1/accelerators)."""

    id = serializers.CharField(source="uuid")
    model_name = serializers.CharField(allow_null=True)
    status = serializers.CharField()
    power_watts = _float()
    allocations = InfraAllocationSerializer(many=True)


class InfraPodSerializer(serializers.Serializer):
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


class InfraContainerSerializer(serializers.Serializer):
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


class InfraVmSerializer(serializers.Serializer):
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


class InfraNodeSummarySerializer(serializers.Serializer):
    nodes = serializers.IntegerField()
    nodes_reporting_power = serializers.IntegerField()
    nodes_with_measured_power = serializers.IntegerField()
    by_status = serializers.DictField(child=serializers.IntegerField())
    by_role = serializers.DictField(child=serializers.IntegerField())
    total = serializers.DictField(child=F())
    top = InfraNodeSerializer(many=True)
    clusters = InfraClusterOutcomeSerializer(many=True)
    timestamp = serializers.DateTimeField()


class InfraNamespacePowerSerializer(serializers.Serializer):
    cluster = serializers.CharField()
    namespace = serializers.CharField()
    pods = serializers.IntegerField()
    cpu_power_watts = F()
    dram_power_watts = F()
    gpu_power_watts = F()
    npu_power_watts = F()
    power_watts = F()


class InfraPodSummarySerializer(serializers.Serializer):
    pods = serializers.IntegerField()
    by_phase = serializers.DictField(child=serializers.IntegerField())
    power_watts = F()
    by_namespace = InfraNamespacePowerSerializer(many=True)
    top = InfraPodSerializer(many=True)
    clusters = InfraClusterOutcomeSerializer(many=True)
    timestamp = serializers.DateTimeField()


class InfraSeriesPointSerializer(serializers.Serializer):
    timestamp = serializers.DateTimeField()
    power_watts = _float()
    cpu_power_watts = _float()
    dram_power_watts = _float()
    gpu_power_watts = _float()
    npu_power_watts = _float()
    measured_power_watts = _float()


class InfraWindowSerializer(serializers.Serializer):
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


class InfraNodePowerSerializer(serializers.Serializer):
    node = serializers.CharField()
    cluster = serializers.CharField()
    timestamp = serializers.DateTimeField()
    now = InfraPowerBreakdownSerializer()
    window = InfraWindowSerializer()


class InfraNodeMetricsSerializer(serializers.Serializer):
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


class InfraPodWindowSerializer(serializers.Serializer):
    window_seconds = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    energy_kwh = _float()
    parts_energy_kwh = serializers.DictField(child=F(allow_null=True))
    avg_power_watts = _float()


class InfraPodPowerSerializer(serializers.Serializer):
    namespace = serializers.CharField()
    name = serializers.CharField()
    cluster = serializers.CharField()
    node = serializers.CharField(allow_null=True)
    phase = serializers.CharField()
    timestamp = serializers.DateTimeField()
    now = serializers.DictField(child=F(allow_null=True))
    window = InfraPodWindowSerializer()
