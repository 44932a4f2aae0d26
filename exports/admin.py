"""Admin screens for report schedules and the archive of sent reports."""

from __future__ import annotations

from django.contrib import admin

from exports.models import ArchivedReport, ReportSchedule


class ArchiveInline(admin.TabularInline):
    model = ArchivedReport
    extra = 0
    can_delete = False
    fields = ("period_start", "period_end", "status", "filename", "emailed_at", "error")
    readonly_fields = fields


@admin.register(ReportSchedule)
class ReportScheduleAdmin(admin.ModelAdmin):
    list_display = ("name", "period", "format", "all_clusters", "enabled")
    list_filter = ("period", "format", "enabled")
    filter_horizontal = ("clusters",)
    exclude = ("created_by",)
    inlines = [ArchiveInline]
