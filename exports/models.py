"""Scheduled reports: the management report e-mailed daily, weekly or monthly, and kept for download.

A report of a period is made once, whatever the number of workers: the
archive row (unique per schedule and period) is created before the report is
rendered, by the one worker that gets to create it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from monitoring.models import addresses


class ReportSchedule(models.Model):
    class Period(models.TextChoices):
        DAILY = "daily", _("Daily")
        WEEKLY = "weekly", _("Weekly")
        MONTHLY = "monthly", _("Monthly")

    class Format(models.TextChoices):
        PDF = "pdf"
        XLSX = "xlsx"

    name = models.CharField(max_length=120, unique=True)
    period = models.CharField(max_length=7, choices=Period.choices, default=Period.WEEKLY)
    format = models.CharField(max_length=4, choices=Format.choices, default=Format.PDF)
    recipients = models.TextField(blank=True, help_text="E-mail addresses, one per line or comma-separated.")
    all_clusters = models.BooleanField(default=True, help_text="Every enabled cluster (else the list below).")
    clusters = models.ManyToManyField("clusters.Cluster", blank=True)
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def recipient_list(self) -> list[str]:
        return addresses(self.recipients)


class ArchivedReport(models.Model):
    """One period's report of a schedule: the file, and whether it was sent."""

    class Status(models.TextChoices):
        GENERATING = "generating", _("Generating")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    schedule = models.ForeignKey(ReportSchedule, on_delete=models.CASCADE, related_name="reports")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.GENERATING)
    attempts = models.PositiveIntegerField(default=1)
    filename = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    # Reports are small (a PDF of a few pages, a workbook): kept in the database, which every instance shares.
    content = models.BinaryField(blank=True, editable=False)
    emailed_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["schedule", "period_start"], name="one_report_per_period")]
        ordering = ["-period_start", "schedule__name"]

    def __str__(self) -> str:
        return f"{self.schedule} {self.period_start:%Y-%m-%d}"
