"""JSON shapes of the power analytics API (units in every field name, null = no data)."""

from __future__ import annotations

from rest_framework import serializers

from clusters.api.serializers import ClusterOutcomeSerializer
from kcloud.api.serializers import RowSerializer

NULL = {"allow_null": True, "read_only": True}


def _float(help_text: str = "") -> serializers.FloatField:
    return serializers.FloatField(help_text=help_text, **NULL)


def _str(help_text: str = "") -> serializers.CharField:
    return serializers.CharField(help_text=help_text, **NULL)


PUE_SOURCE = "measured (facility power query), configured (design PUE) or unavailable."


class EnergyRowSerializer(RowSerializer):
    """One group of ``/monitoring/energy``; the group is named under its own key."""

    cluster = serializers.CharField()
    namespace = _str("group_by=namespace|pod; '__idle__' on idle rows.")
    pod = _str("group_by=pod; '__idle__' on idle rows.")
    node = _str("group_by=node; the node of an idle row (and of a pod).")
    idle = serializers.BooleanField(help_text="A node's energy attributed to no pod (idle=node).")
    cpu_energy_kwh = _float()
    dram_energy_kwh = _float()
    gpu_energy_kwh = _float()
    npu_energy_kwh = _float()
    energy_kwh = _float("IT energy: cpu + dram + gpu + npu.")
    facility_energy_kwh = _float("energy_kwh x PUE.")
    carbon_grams = _float("energy_kwh x PUE x the cluster's carbon intensity.")
    cost = _float("energy_kwh x PUE x the cluster's electricity price.")
    currency = _str()
    pue = _float()
    pue_source = serializers.CharField(help_text=PUE_SOURCE)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # Only the keys this group-by has (a namespace row has no ``pod`` key).
        return {k: v for k, v in data.items() if k in instance}


class BreakdownRowSerializer(RowSerializer):
    """One row of ``/monitoring/power/breakdown``: a group, ``idle`` or ``unattributed``."""

    cluster = _str()
    node = _str()
    namespace = _str()
    pod = _str()
    resource_type = _str()
    vendor = _str()
    model = _str()
    kind = serializers.CharField(help_text="group, idle or unattributed.")
    power_watts = _float("Power now.")
    energy_kwh = _float("Energy over the window.")
    share_percent = _float("Share of the total power now.")

    def to_representation(self, instance):
        data = super().to_representation(instance)
        return {k: v for k, v in data.items() if k in instance}


class ResourceTypeSerializer(RowSerializer):
    resource_type = serializers.CharField(help_text="gpu, npu, cpu, dram or other.")
    power_watts = _float()
    share_percent = _float()


class ClusterPowerSerializer(RowSerializer):
    """One cluster's power now."""

    cluster = serializers.CharField()
    power_watts = _float("IT power: the nodes' power (DCMI wall power where measured, else the parts).")
    facility_power_watts = _float()
    share_percent = _float()
    pue = _float()
    pue_source = serializers.CharField(help_text=PUE_SOURCE)
    pue_error = _str("Why a configured facility power query gave no PUE.")
    gpu_power_watts = _float()
    npu_power_watts = _float()
    cpu_power_watts = _float()
    dram_power_watts = _float()
    other_power_watts = _float("Wall power beyond the parts (PSU loss, fans, disks).")
    nodes = serializers.IntegerField()
    nodes_reporting = serializers.IntegerField()
    carbon_grams_per_hour = _float()
    cost_per_hour = _float()
    currency = _str()


class WarningSerializer(RowSerializer):
    """Something an answering cluster could not account for (series no node was found for)."""

    cluster = serializers.CharField()
    code = serializers.CharField()
    source = serializers.CharField()
    series = serializers.IntegerField()
    message = serializers.CharField()
    example = serializers.DictField(child=serializers.CharField())


class FleetPowerSerializer(RowSerializer):
    """``/monitoring/power``: the fleet now."""

    timestamp = serializers.DateTimeField()
    total_power_watts = _float("IT power of the fleet.")
    facility_power_watts = _float("Null when a cluster with power has no PUE.")
    pue = _float("Fleet facility power / IT power.")
    by_cluster = ClusterPowerSerializer(many=True)
    by_resource_type = ResourceTypeSerializer(many=True)
    partial = serializers.BooleanField()
    missing_clusters = serializers.ListField(child=serializers.CharField())
    clusters = ClusterOutcomeSerializer(many=True)
    warnings = WarningSerializer(many=True)


class DeviceCountsSerializer(RowSerializer):
    active = serializers.IntegerField()
    idle = serializers.IntegerField()
    unavailable = serializers.IntegerField()
    total = serializers.IntegerField()


class NodeCountsSerializer(RowSerializer):
    ready = serializers.IntegerField()
    total = serializers.IntegerField()


class PrometheusStatusSerializer(ClusterOutcomeSerializer):
    version = _str()
    last_checked_at = serializers.DateTimeField(allow_null=True)
    last_health_status = serializers.CharField()


class ClusterSummarySerializer(RowSerializer):
    """``/clusters/{name}/summary``."""

    cluster = serializers.CharField()
    timestamp = serializers.DateTimeField(allow_null=True)
    nodes = NodeCountsSerializer(allow_null=True)
    gpus = DeviceCountsSerializer(allow_null=True)
    npus = DeviceCountsSerializer(allow_null=True)
    running_pods = serializers.IntegerField(allow_null=True)
    it_power_watts = _float()
    facility_power_watts = _float()
    pue = _float()
    pue_source = _str(PUE_SOURCE)
    pue_error = _str()
    power_by_resource_type = serializers.DictField(child=serializers.FloatField(allow_null=True), required=False)
    carbon_grams_per_hour = _float()
    cost_per_hour = _float()
    currency = _str()
    prometheus = PrometheusStatusSerializer()


class ClusterCompareSerializer(RowSerializer):
    """One cluster of ``/clusters/compare``."""

    cluster = serializers.CharField()
    status = serializers.CharField(help_text="ok or error.")
    error = _str()
    power_watts = _float()
    facility_power_watts = _float()
    energy_kwh = _float("IT energy over the window (DCMI wall energy where measured, else the parts).")
    facility_energy_kwh = _float()
    pue = _float()
    pue_source = _str(PUE_SOURCE)
    carbon_grams = _float()
    cost = _float()
    currency = _str()
    gpus = serializers.IntegerField(required=False)
    gpu_utilization_percent = _float()
    idle_gpu_share_percent = _float("Idle GPUs / reporting GPUs.")

    def to_representation(self, instance):
        data = super().to_representation(instance)
        return {k: v for k, v in data.items() if k in instance}


class EfficiencyRowSerializer(RowSerializer):
    """One cluster of ``/monitoring/efficiency``."""

    cluster = serializers.CharField()
    pue = _float()
    pue_source = serializers.CharField(help_text=PUE_SOURCE)
    it_energy_kwh = _float("IT energy over the window (DCMI wall energy where measured, else the parts).")
    gpu_utilization_percent = _float("Mean over the window and the GPUs reporting utilisation.")
    npu_utilization_percent = _float()
    idle_waste_kwh = _float("Energy of GPUs/NPUs while below 1 % utilisation.")
    allocated_idle_kwh = _float("Idle energy of devices held by a pod.")
    unallocated_idle_kwh = _float("Idle energy of devices nobody holds.")
    idle_waste_share_percent = _float("idle_waste_kwh / it_energy_kwh.")
    carbon_grams = _float("Of the idle waste.")
    cost = _float("Of the idle waste.")
    currency = _str()


class PowerSeriesSerializer(RowSerializer):
    """One series of ``/monitoring/timeseries/power``; values align with the answer's ``timestamps``."""

    cluster = _str()
    node = _str()
    namespace = _str("'__idle__' and '__unattributed__' complete the namespaces.")
    resource_type = _str("gpu, npu, cpu, dram or other.")
    power_watts = serializers.ListField(child=serializers.FloatField(allow_null=True))

    def to_representation(self, instance):
        data = super().to_representation(instance)
        return {k: v for k, v in data.items() if k in instance}


class MetricSeriesSerializer(RowSerializer):
    """One series of ``/monitoring/timeseries/metrics``: its group, and its values under the metric's name.

    The values list is named after the metric (``gpu_utilization_percent: [...]``)
    and aligns with the answer's ``timestamps``; only the group's own fields appear.
    """

    cluster = _str("Absent when group_by=model (fleet-wide).")
    node = _str()
    namespace = _str("'__unattributed__' (sum metrics) / '__unallocated__' (avg metrics) for GPU/NPU rows.")
    pod = _str()
    uuid = _str()
    index = serializers.IntegerField(allow_null=True, read_only=True)
    model = _str()
    vendor = _str()
    values = serializers.ListField(
        child=serializers.FloatField(allow_null=True), help_text="Named after the metric in the answer."
    )
    metric_name = "values"

    def to_representation(self, instance):
        data = super().to_representation(instance)
        out = {k: v for k, v in data.items() if k in instance and k != "values"}
        out[self.metric_name] = data["values"]
        return out


def metric_row_serializer(metric: str) -> type[MetricSeriesSerializer]:
    """A row serializer whose values key is ``metric``."""
    return type("MetricRowSerializer", (MetricSeriesSerializer,), {"metric_name": metric})
