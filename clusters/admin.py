"""Cluster registry in the Django admin: health at a glance, write-only credentials."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clusters.forms import ClusterAdminForm
from clusters.health import check_clusters
from clusters.models import Cluster

_STATUS_COLOURS = {"ok": "#1a7f37", "error": "#cf222e", "unknown": "#6e7781"}


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    """List with health, search and filters; a "check connection" action."""

    form = ClusterAdminForm
    list_display = (
        "name",
        "display_name",
        "region",
        "enabled",
        "health",
        "last_checked_at",
        "last_latency_ms",
        "prometheus_version",
        "credentials",
    )
    list_filter = ("enabled", "last_status", "auth_type", "region")
    search_fields = ("name", "display_name", "region", "description")
    readonly_fields = (
        "credentials",
        "last_checked_at",
        "last_ok_at",
        "last_status",
        "last_error",
        "last_latency_ms",
        "prometheus_version",
        "capabilities",
        "created_at",
        "updated_at",
    )
    actions = ("check_connection",)
    fieldsets = (
        (None, {"fields": ("name", "display_name", "description", "region", "enabled")}),
        (
            "Prometheus",
            {"fields": ("prometheus_url", "label_selector", "timeout_seconds", "verify_tls", "ca_bundle")},
        ),
        (
            _("Authentication"),
            {
                "fields": (
                    "auth_type",
                    "username",
                    "credentials",
                    "new_password",
                    "clear_password",
                    "new_bearer_token",
                    "clear_bearer_token",
                )
            },
        ),
        (
            _("Energy, carbon and cost"),
            {
                "fields": (
                    "carbon_intensity_g_per_kwh",
                    "electricity_price_per_kwh",
                    "currency",
                    "design_pue",
                    "power_budget_watts",
                    "facility_power_query",
                )
            },
        ),
        (
            _("Health"),
            {
                "fields": (
                    "last_status",
                    "last_checked_at",
                    "last_ok_at",
                    "last_error",
                    "last_latency_ms",
                    "prometheus_version",
                    "capabilities",
                    "created_at",
                    "updated_at",
                )
            },
        ),
    )

    @admin.display(description=_("Health"), ordering="last_status")
    def health(self, obj: Cluster) -> str:
        colour = _STATUS_COLOURS.get(obj.last_status, "#6e7781")
        return format_html('<strong style="color:{}">{}</strong>', colour, obj.get_last_status_display())

    @admin.display(description=_("Credentials"))
    def credentials(self, obj: Cluster) -> str:
        """Only whether a secret is set, never the secret."""
        parts = []
        if obj.auth_type == Cluster.AuthType.BASIC:
            parts.append(gettext("password set") if obj.has_password else gettext("password not set"))
        elif obj.auth_type == Cluster.AuthType.BEARER:
            parts.append(gettext("token set") if obj.has_bearer_token else gettext("token not set"))
        else:
            parts.append(gettext("none"))
        return ", ".join(parts)

    @admin.action(description=_("Check connection"))
    def check_connection(self, request, queryset) -> None:
        for report in check_clusters(queryset):
            if report.ok:
                self.message_user(
                    request,
                    gettext("%(cluster)s: OK, Prometheus %(version)s, %(latency)s ms")
                    % {"cluster": report.cluster.name, "version": report.version, "latency": report.latency_ms},
                    messages.SUCCESS,
                )
            else:
                self.message_user(request, f"{report.cluster.name}: {report.error}", messages.ERROR)
