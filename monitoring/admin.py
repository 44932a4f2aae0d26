"""Admin screens for budgets, alert rules, alerts and notification channels (webhook URLs write-only)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from monitoring.alerting import sync
from monitoring.models import Alert, AlertEvent, AlertRule, Budget, EvaluationRun, Notification, NotificationChannel


class ChannelForm(forms.ModelForm):
    """A webhook URL carries its credential (Slack, Teams): it is written here and never shown again."""

    new_url = forms.URLField(
        label="Webhook URL",
        required=False,
        assume_scheme="https",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Write-only. Leave empty to keep the stored URL.",
    )

    class Meta:
        model = NotificationChannel
        fields = ("name", "kind", "payload", "recipients", "enabled")

    def clean(self):
        data = super().clean()
        stored = bool(self.instance and self.instance._url)
        if data.get("kind") == NotificationChannel.Kind.WEBHOOK and not (data.get("new_url") or stored):
            self.add_error("new_url", "A webhook channel needs its URL.")
        return data

    def save(self, commit: bool = True):
        channel = super().save(commit=False)
        if self.cleaned_data.get("new_url"):
            channel.url = self.cleaned_data["new_url"]
        if commit:
            channel.save()
        return channel


@admin.register(NotificationChannel)
class ChannelAdmin(admin.ModelAdmin):
    form = ChannelForm
    list_display = ("name", "kind", "payload", "enabled")  # never the URL


@admin.register(Budget)
class BudgetAdmin(admin.ModelAdmin):
    list_display = ("name", "scope", "cluster", "namespace", "period", "measure", "limit", "used_percent", "enabled")
    list_filter = ("scope", "period", "measure", "enabled")
    readonly_fields = ("progress",)

    @admin.display(description="used %")
    def used_percent(self, budget: Budget) -> str:
        value = (budget.progress or {}).get("used_percent")
        return "—" if value is None else f"{value:.0f} %"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        sync.budget_rules(obj)  # its warning thresholds as rules (channels are set on the rules)


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "level", "cluster", "threshold", "for_seconds", "enabled")
    list_filter = ("kind", "enabled")
    filter_horizontal = ("channels",)


class EventInline(admin.TabularInline):
    model = AlertEvent
    extra = 0
    can_delete = False
    readonly_fields = ("kind", "at", "value", "message")


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("rule", "subject", "state", "value", "fired_at", "acknowledged_at", "silenced_until")
    list_filter = ("state", "rule__kind")
    readonly_fields = ("rule", "subject", "cluster", "state", "value", "active_since", "fired_at", "resolved_at")
    inlines = [EventInline]
    actions = ("acknowledge",)

    @admin.action(description="Acknowledge (their resolution is not notified)")
    def acknowledge(self, request, queryset):
        count = queryset.update(acknowledged_at=timezone.now(), acknowledged_by=request.user)
        messages.success(request, f"{count} alert(s) acknowledged.")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("event", "channel", "status", "attempts", "next_attempt_at", "sent_at", "last_error")
    list_filter = ("status",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(EvaluationRun)
class EvaluationRunAdmin(admin.ModelAdmin):
    list_display = ("slot", "started_at", "finished_at", "requests", "error")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
