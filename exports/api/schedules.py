"""Report schedules and their archive over the API (operators; reading and downloading by scope).

A schedule over every cluster is for whoever sees every cluster; one over a
list, for whoever sees each cluster on it. Past reports are downloadable for
``KCLOUD_REPORT_RETENTION_DAYS``.
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers

from clusters.api.serializers import VisibleClusterField
from clusters.scope import Principal
from exports.models import ArchivedReport, ReportSchedule
from exports.schedules import visible_schedules
from kcloud.auth.permissions import CanOperate


class ScheduleSerializer(serializers.ModelSerializer):
    clusters = VisibleClusterField(many=True, required=False)
    reports = serializers.SerializerMethodField()

    class Meta:
        model = ReportSchedule
        fields = ("id", "name", "period", "format", "recipients", "all_clusters", "clusters", "enabled", "reports")

    def validate(self, attrs):
        every = attrs.get("all_clusters", getattr(self.instance, "all_clusters", True))
        if every:
            if not Principal.from_request(self.context["request"]).sees_every_cluster():
                raise serializers.ValidationError({"all_clusters": "You do not see every cluster: list yours."})
        elif not attrs.get("clusters", self.instance.clusters.all() if self.instance else []):
            raise serializers.ValidationError({"clusters": "List the clusters, or choose all clusters."})
        for address in ReportSchedule(recipients=attrs.get("recipients", "")).recipient_list():
            serializers.EmailField().run_validation(address)
        return attrs

    def get_reports(self, schedule: ReportSchedule) -> list[dict]:
        rows = schedule.reports.filter(status=ArchivedReport.Status.READY).defer("content")[:12]
        return ArchiveSerializer(rows, many=True, context=self.context).data

    def create(self, validated_data):
        validated_data["created_by"] = self.context["request"].user
        return super().create(validated_data)


class ArchiveSerializer(serializers.ModelSerializer):
    download = serializers.SerializerMethodField()

    class Meta:
        model = ArchivedReport
        fields = ("id", "period_start", "period_end", "status", "filename", "emailed_at", "download")

    def get_download(self, archived: ArchivedReport) -> str:
        return f"/api/v1/export/archive/{archived.pk}/download"


class ScheduleList(generics.ListCreateAPIView):
    """Report schedules (daily, weekly, monthly; PDF or XLSX; recipients) with their recent reports."""

    permission_classes = [CanOperate]
    serializer_class = ScheduleSerializer

    def get_queryset(self):
        return visible_schedules(Principal.from_request(self.request)).prefetch_related("clusters")


class ScheduleDetail(generics.RetrieveUpdateDestroyAPIView):
    permission_classes = [CanOperate]
    serializer_class = ScheduleSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return visible_schedules(Principal.from_request(self.request)).prefetch_related("clusters")


class ArchiveDownload(generics.GenericAPIView):
    """The file of a past report (the period's report as it was made and sent)."""

    permission_classes = [CanOperate]
    serializer_class = ArchiveSerializer

    def get_queryset(self):
        schedules = visible_schedules(Principal.from_request(self.request))
        return ArchivedReport.objects.filter(schedule__in=schedules, status=ArchivedReport.Status.READY)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY)})
    def get(self, request, pk: int):
        archived = generics.get_object_or_404(self.get_queryset(), pk=pk)
        response = HttpResponse(bytes(archived.content), content_type=archived.content_type)
        response["Content-Disposition"] = f'attachment; filename="{archived.filename}"'
        return response
