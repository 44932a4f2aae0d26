"""Budgets, alert rules, their alerts with history, and the notifications they send.

Evaluation (:mod:`monitoring.alerting.evaluate`) and delivery
(:mod:`monitoring.alerting.notify`) run in the background worker. What makes
them safe with several app instances is here, in the database: an evaluation
claims its time slot (:class:`EvaluationRun`, unique), a state change creates
exactly one :class:`AlertEvent`, and each event has one :class:`Notification`
per channel (unique), claimed before it is sent and kept until it is.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from clusters import crypto


def addresses(text: str) -> list[str]:
    """E-mail addresses written one per line or comma-separated (channels, report schedules)."""
    return [a.strip() for a in text.replace("\n", ",").split(",") if a.strip()]


class Budget(models.Model):
    """A limit on IT energy, carbon or cost per day, week or month, for a cluster, a namespace or the fleet."""

    class Scope(models.TextChoices):
        FLEET = "fleet", _("Fleet")
        CLUSTER = "cluster", _("Cluster")
        NAMESPACE = "namespace", _("Namespace")

    class Period(models.TextChoices):
        DAY = "day", _("Day")
        WEEK = "week", _("Week")
        MONTH = "month", _("Month")

    class Measure(models.TextChoices):
        ENERGY = "energy_kwh", _("IT energy (kWh)")
        CARBON = "carbon_kg", _("carbon (kg CO2e)")
        COST = "cost", _("cost (the currency below)")

    name = models.CharField(max_length=120, unique=True)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.CLUSTER)
    cluster = models.ForeignKey(
        "clusters.Cluster",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text="The cluster (cluster scope), or narrows a namespace budget to one cluster (empty: all).",
    )
    namespace = models.CharField(max_length=63, blank=True, help_text="Namespace scope: across clusters.")
    period = models.CharField(max_length=5, choices=Period.choices, default=Period.MONTH)
    measure = models.CharField(max_length=10, choices=Measure.choices, default=Measure.ENERGY)
    limit = models.FloatField(validators=[MinValueValidator(0.0)])
    currency = models.CharField(max_length=3, blank=True, help_text="Cost budgets: only clusters in this currency.")
    warn_at_percent = models.JSONField(default=list, blank=True, help_text="Thresholds, e.g. [80, 100].")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The last evaluation's figures (monitoring.alerting.budgets.Progress.as_dict), read without PromQL.
    progress = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def unit(self) -> str:
        """What the limit, the used and the projected figures are in."""
        return {"energy_kwh": "kWh", "carbon_kg": "kg CO2e"}.get(self.measure, self.currency)

    def clean(self) -> None:
        if self.scope == self.Scope.CLUSTER and self.cluster_id is None:
            raise ValidationError({"cluster": "A cluster budget needs its cluster."})
        if self.scope == self.Scope.NAMESPACE and not self.namespace:
            raise ValidationError({"namespace": "A namespace budget needs its namespace."})
        if self.measure == self.Measure.COST and not self.currency:
            raise ValidationError({"currency": "A cost budget is in one currency."})
        thresholds = self.warn_at_percent if isinstance(self.warn_at_percent, list) else [None]
        if not all(isinstance(p, (int, float)) and not isinstance(p, bool) and 0 < p <= 1000 for p in thresholds):
            raise ValidationError({"warn_at_percent": "Percentages between 0 and 1000."})


class NotificationChannel(models.Model):
    """Where notifications go: a webhook (generic JSON, Slack or Teams payload) or e-mail recipients."""

    class Kind(models.TextChoices):
        WEBHOOK = "webhook", _("Webhook")
        EMAIL = "email", _("Email")

    class Payload(models.TextChoices):
        GENERIC = "generic", _("Generic")
        SLACK = "slack", _("Slack")
        TEAMS = "teams", _("Teams")

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.WEBHOOK)
    # A webhook URL is a secret (Slack and Teams put the credential in it): encrypted like cluster credentials.
    _url = models.TextField(db_column="url_encrypted", blank=True, editable=False)
    payload = models.CharField(max_length=8, choices=Payload.choices, default=Payload.GENERIC)
    recipients = models.TextField(blank=True, help_text="E-mail: addresses, one per line or comma-separated.")
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<NotificationChannel {self.name}>"  # never the URL

    @property
    def url(self) -> str:
        return crypto.decrypt(self._url) if self._url else ""

    @url.setter
    def url(self, value: str) -> None:
        self._url = crypto.encrypt(value or "")

    def recipient_list(self) -> list[str]:
        return addresses(self.recipients)


class AlertRule(models.Model):
    """A condition checked at every evaluation; ``for_seconds`` of it make an alert fire."""

    class Kind(models.TextChoices):
        POWER_ABOVE = "power_above", _("power above (W)")
        TEMPERATURE_ABOVE = "temperature_above", _("accelerator temperature above (°C)")
        IPMI_CRITICAL = "ipmi_critical", _("IPMI sensor critical")
        CLUSTER_UNREACHABLE = "cluster_unreachable", _("cluster unreachable")
        IDLE_ENERGY_ABOVE = "idle_energy_above", _("idle accelerator energy today above (kWh)")
        BUDGET_THRESHOLD = "budget_threshold", _("budget threshold (%)")

    class Level(models.TextChoices):
        CLUSTER = "cluster", _("Cluster")
        NODE = "node", _("Node")
        ACCELERATOR = "accelerator", _("Accelerator")

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    level = models.CharField(
        max_length=11, choices=Level.choices, default=Level.CLUSTER, help_text="Power: what is compared."
    )
    cluster = models.ForeignKey(
        "clusters.Cluster", null=True, blank=True, on_delete=models.CASCADE, help_text="Empty: every cluster."
    )
    budget = models.ForeignKey(Budget, null=True, blank=True, on_delete=models.CASCADE)
    threshold = models.FloatField(default=0.0, help_text="W, °C, kWh or % of the budget, by kind.")
    for_seconds = models.PositiveIntegerField(default=0, help_text="How long the condition must hold.")
    channels = models.ManyToManyField(NotificationChannel, blank=True)
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    UNITS = {"power_above": "W", "temperature_above": "°C", "idle_energy_above": "kWh", "budget_threshold": "%"}

    @property
    def unit(self) -> str:
        """The unit of the rule's threshold and of its alerts' values ("" for states)."""
        return self.UNITS.get(self.kind, "")

    def clean(self) -> None:
        if self.kind == self.Kind.BUDGET_THRESHOLD and self.budget_id is None:
            raise ValidationError({"budget": "A budget rule needs its budget."})


class Alert(models.Model):
    """One rule's state for one subject (a cluster, node, device, sensor or budget)."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        FIRING = "firing", _("Firing")
        RESOLVED = "resolved", _("Resolved")

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    subject = models.CharField(max_length=300)
    cluster = models.CharField(max_length=63, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    value = models.FloatField(null=True, blank=True)
    active_since = models.DateTimeField()
    fired_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    silenced_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "subject"], name="one_alert_per_rule_subject")]
        ordering = ["rule__name", "subject"]

    def __str__(self) -> str:
        return f"{self.rule.name}: {self.subject}"


class AlertEvent(models.Model):
    """A state change of an alert: its history, and what notifications are sent for."""

    class Kind(models.TextChoices):
        FIRED = "fired", _("Fired")
        RESOLVED = "resolved", _("Resolved")

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    at = models.DateTimeField()
    value = models.FloatField(null=True, blank=True)
    message = models.TextField()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.alert} {self.kind} at {self.at:%Y-%m-%d %H:%M}"


class Notification(models.Model):
    """One event sent to one channel: created with the event, claimed by one worker, kept until sent."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")  # gave up after the last attempt
        SUPPRESSED = "suppressed", _("Suppressed")  # silenced or acknowledged when it was due

    event = models.ForeignKey(AlertEvent, on_delete=models.CASCADE, related_name="notifications")
    channel = models.ForeignKey(NotificationChannel, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "channel"], name="one_notification_per_channel")]
        ordering = ["next_attempt_at", "id"]

    def __str__(self) -> str:
        return f"{self.event} -> {self.channel}: {self.status}"


class EvaluationRun(models.Model):
    """One evaluation slot, claimed by the one worker that evaluates it (the unique ``slot``)."""

    slot = models.BigIntegerField(unique=True, help_text="Unix time of the slot's start.")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    requests = models.PositiveIntegerField(default=0, help_text="PromQL requests the evaluation made.")
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-slot"]

    def __str__(self) -> str:
        return f"evaluation {self.slot}"
