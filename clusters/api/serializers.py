"""Cluster registry as JSON. Credentials are never serialized; the URL only for staff."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clusters.models import Cluster
from clusters.scope import Principal
from kcloud import audience
from kcloud.api.serializers import RowSerializer


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


class ClusterOutcomeSerializer(RowSerializer):
    """What one cluster contributed to an answer (``ClusterResult.outcome()``): every list's ``clusters``."""

    name = serializers.CharField()
    status = serializers.CharField(help_text="ok | error")
    error = serializers.CharField(allow_null=True, help_text="What failed; staff also see where.")
    latency_ms = serializers.FloatField(allow_null=True)


class VisibleClusterField(serializers.SlugRelatedField):
    """A cluster by name, among those the caller sees (an unknown or unseen name is the same 400)."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="name", **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return Principal.from_request(request).visible_clusters() if request else Cluster.objects.none()
