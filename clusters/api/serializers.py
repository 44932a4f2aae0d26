"""Cluster registry as JSON. Credentials are never serialized; the URL only for staff."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clusters.models import Cluster
from kcloud import audience


class ClusterSerializer(serializers.ModelSerializer):
    """Public view of a registered cluster."""

    status = serializers.CharField(source="last_status")
    last_error = serializers.SerializerMethodField()
    prometheus_url = serializers.SerializerMethodField()

    class Meta:
        model = Cluster
        fields = (
            "name",
            "display_name",
            "region",
            "description",
            "status",
            "last_checked_at",
            "last_ok_at",
            "last_latency_ms",
            "last_error",
            "prometheus_version",
            "capabilities",
            "carbon_intensity_g_per_kwh",
            "electricity_price_per_kwh",
            "currency",
            "design_pue",
            "prometheus_url",
        )

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_last_error(self, obj: Cluster) -> str | None:
        # The probe's own words for staff; partners learn that it failed, not where.
        if not obj.last_error:
            return None
        return obj.last_error if audience.internal() else audience.PUBLIC_DEFAULT

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_prometheus_url(self, obj: Cluster) -> str | None:
        # Partners do not learn internal network addresses.
        return obj.prometheus_url if audience.internal() else None


# -- topology (issue 6) ------------------------------------------------------------------
_NULL = {"allow_null": True, "read_only": True}


class TopologyVertexSerializer(serializers.Serializer):
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


class TopologyEdgeSerializer(serializers.Serializer):
    """A directed edge of the topology graph."""

    source = serializers.CharField()
    target = serializers.CharField()
    kind = serializers.ChoiceField(choices=("hosts", "contains", "allocated_to"))
    share = serializers.FloatField(help_text="allocated_to: the pod's share of the source's power.", **_NULL)


class TopologyTotalsSerializer(serializers.Serializer):
    """Counts per vertex kind and power per level (each physical thing once)."""

    counts = serializers.DictField(child=serializers.IntegerField())
    edges = serializers.IntegerField()
    nodes_power_watts = serializers.FloatField(help_text="Sum of the node vertices: the IT power shown.", **_NULL)
    gpu_power_watts = serializers.FloatField(help_text="Sum of physical GPUs (MIG instances not added).", **_NULL)
    npu_power_watts = serializers.FloatField(help_text="Sum of NPU cards (partitions not added).", **_NULL)
    pods_power_watts = serializers.FloatField(help_text="Sum of the pods' attributed power.", **_NULL)


class TopologyOutcomeSerializer(serializers.Serializer):
    name = serializers.CharField()
    status = serializers.CharField()
    error = serializers.CharField(allow_null=True)
    latency_ms = serializers.FloatField(allow_null=True)


class TopologySerializer(serializers.Serializer):
    """``/clusters/{name}/topology``: the graph, or ``status: error`` with null lists when the cluster is down."""

    cluster = serializers.CharField()
    node = serializers.CharField(help_text="The ?node= filter, if any.", **_NULL)
    status = serializers.CharField(help_text="ok, or error when the cluster's Prometheus did not answer.")
    error = serializers.CharField(**_NULL)
    partial = serializers.BooleanField()
    timestamp = serializers.CharField(help_text="The instant every value describes (ISO 8601 UTC).", **_NULL)
    clusters = TopologyOutcomeSerializer(many=True)
    totals = TopologyTotalsSerializer(allow_null=True)
    nodes = TopologyVertexSerializer(many=True, allow_null=True, help_text="Graph vertices (not only k8s nodes).")
    edges = TopologyEdgeSerializer(many=True, allow_null=True)
