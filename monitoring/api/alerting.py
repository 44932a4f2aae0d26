"""Budgets, alert rules, alerts and notification channels over the API.

Reading needs the viewer role, changing budgets and rules and acknowledging or
silencing alerts the operator role, notification channels the admin role (a
webhook URL is a secret: written, never read back). Scope: a budget, rule or
alert tied to a cluster is visible to whoever sees that cluster; one over every
cluster (the fleet, a namespace across clusters) to whoever sees them all.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import generics, serializers
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.views import APIView

from clusters.api.serializers import VisibleClusterField
from clusters.scope import Principal
from kcloud.api.params import parse_choice, parse_time
from kcloud.auth.permissions import CanAdminister, CanOperate, CanRead
from kcloud.timeutil import utcnow
from monitoring.alerting import sync
from monitoring.alerting.scope import visible_alerts, visible_budgets, visible_rules
from monitoring.models import Alert, AlertEvent, AlertRule, Budget, NotificationChannel

MAX_SILENCE = timedelta(days=90)


class _ReadOrOperate:
    """Viewer reads; operator changes."""

    def get_permissions(self):
        return [CanRead()] if self.request.method in SAFE_METHODS else [CanOperate()]


class _ModelChecks(serializers.ModelSerializer):
    """Runs the model's own ``clean()`` (DRF does not) so both the admin and the API refuse the same."""

    def validate(self, attrs):
        instance = self.instance or self.Meta.model()
        for name, value in attrs.items():
            if name not in ("channels",):
                setattr(instance, name, value)
        try:
            instance.clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None
        # Over every cluster (the fleet, a namespace everywhere, a rule for all): only for who sees them all.
        principal = Principal.from_request(self.context["request"])
        if getattr(instance, "cluster_id", None) is None and not principal.sees_every_cluster():
            raise serializers.ValidationError({"cluster": "Name one of your clusters."})
        return attrs


# -- budgets ---------------------------------------------------------------------------------------
class BudgetSerializer(_ModelChecks):
    cluster = VisibleClusterField(required=False, allow_null=True)
    channels = serializers.SlugRelatedField(
        slug_field="name",
        many=True,
        required=False,
        queryset=NotificationChannel.objects.all(),
        write_only=True,
        help_text="Channels of the threshold rules (by name).",
    )
    progress = serializers.JSONField(
        read_only=True,
        help_text="The last evaluation: used, projected (at the current rate), their percent of the limit, "
        "the period, clusters missing or in another currency.",
    )

    class Meta:
        model = Budget
        fields = (
            "id",
            "name",
            "scope",
            "cluster",
            "namespace",
            "period",
            "measure",
            "limit",
            "currency",
            "warn_at_percent",
            "channels",
            "enabled",
            "progress",
            "created_at",
        )
        read_only_fields = ("created_at",)

    def create(self, validated_data):
        channels = validated_data.pop("channels", None)
        budget = super().create(validated_data)
        sync.budget_rules(budget, channels)
        return budget

    def update(self, instance, validated_data):
        channels = validated_data.pop("channels", None)
        budget = super().update(instance, validated_data)
        sync.budget_rules(budget, channels)
        return budget


class BudgetList(_ReadOrOperate, generics.ListCreateAPIView):
    """Budgets with their progress this period (warning thresholds become budget alert rules)."""

    serializer_class = BudgetSerializer

    def get_queryset(self):
        return visible_budgets(Principal.from_request(self.request))


class BudgetDetail(_ReadOrOperate, generics.RetrieveUpdateDestroyAPIView):
    serializer_class = BudgetSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return visible_budgets(Principal.from_request(self.request))


# -- rules ------------------------------------------------------------------------------------------
class AlertRuleSerializer(_ModelChecks):
    cluster = VisibleClusterField(required=False, allow_null=True)
    channels = serializers.SlugRelatedField(
        slug_field="name", many=True, required=False, queryset=NotificationChannel.objects.all()
    )
    budget = serializers.PrimaryKeyRelatedField(queryset=Budget.objects.all(), required=False, allow_null=True)

    class Meta:
        model = AlertRule
        fields = ("id", "name", "kind", "level", "cluster", "budget", "threshold", "for_seconds", "channels", "enabled")


class AlertRuleList(_ReadOrOperate, generics.ListCreateAPIView):
    """Alert rules: power, temperature, IPMI, reachability, idle accelerator energy, budget thresholds."""

    serializer_class = AlertRuleSerializer

    def get_queryset(self):
        return visible_rules(Principal.from_request(self.request))


class AlertRuleDetail(_ReadOrOperate, generics.RetrieveUpdateDestroyAPIView):
    serializer_class = AlertRuleSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return visible_rules(Principal.from_request(self.request))


# -- alerts -----------------------------------------------------------------------------------------
class AlertEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AlertEvent
        fields = ("kind", "at", "value", "message")


class AlertSerializer(serializers.ModelSerializer):
    rule = serializers.CharField(source="rule.name")
    kind = serializers.CharField(source="rule.kind")
    acknowledged_by = serializers.CharField(source="acknowledged_by.username", default=None)
    events = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = (
            "id",
            "rule",
            "kind",
            "subject",
            "cluster",
            "state",
            "value",
            "active_since",
            "fired_at",
            "resolved_at",
            "acknowledged_at",
            "acknowledged_by",
            "silenced_until",
            "events",
        )

    @extend_schema_field(AlertEventSerializer(many=True))
    def get_events(self, alert: Alert) -> list[dict]:
        # Slicing the prefetched list, not the queryset: one query for the whole page, not one per alert.
        return AlertEventSerializer(list(alert.events.all())[:20], many=True).data


def _alerts(request):
    return visible_alerts(Principal.from_request(request))


class AlertList(generics.ListAPIView):
    """Alerts, firing first, then pending, then resolved (most recent first), each with its last events."""

    serializer_class = AlertSerializer

    @extend_schema(
        parameters=[OpenApiParameter("state", str, enum=list(Alert.State.values), description="Only this state.")]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        queryset = _alerts(self.request)
        state = self.request.query_params.get("state")
        if state:
            queryset = queryset.filter(state=parse_choice("state", state, Alert.State.values))
        return queryset


class AlertDetail(generics.RetrieveAPIView):
    serializer_class = AlertSerializer

    def get_queryset(self):
        return _alerts(self.request)


class _AlertAction(APIView):
    permission_classes = [CanOperate]

    def alert(self, pk: int) -> Alert:
        return generics.get_object_or_404(_alerts(self.request), pk=pk)


class AlertAcknowledge(_AlertAction):
    """Acknowledge a firing alert: its resolution will not be notified (a new firing will)."""

    @extend_schema(request=None, responses=AlertSerializer)
    def post(self, request, pk: int):
        alert = self.alert(pk)
        alert.acknowledged_at, alert.acknowledged_by = utcnow(), request.user
        alert.save(update_fields=["acknowledged_at", "acknowledged_by", "updated_at"])
        return Response(AlertSerializer(alert).data)


class AlertSilence(_AlertAction):
    """Silence an alert until a time (at most 90 days ahead): no notification until then."""

    @extend_schema(
        request=inline_serializer("AlertSilenceRequest", {"until": serializers.DateTimeField()}),
        responses=AlertSerializer,
    )
    def post(self, request, pk: int):
        alert = self.alert(pk)
        raw = request.data.get("until") if hasattr(request.data, "get") else None
        until = parse_time("until", raw if isinstance(raw, str) else None)
        now = utcnow()
        if not now < until <= now + MAX_SILENCE:
            raise serializers.ValidationError({"until": "A time in the next 90 days."})
        alert.silenced_until = until
        alert.save(update_fields=["silenced_until", "updated_at"])
        return Response(AlertSerializer(alert).data)


# -- channels (admin) ----------------------------------------------------------------------------
class ChannelSerializer(serializers.ModelSerializer):
    url = serializers.URLField(
        write_only=True, required=False, help_text="Webhook URL (stored encrypted, never shown)."
    )
    has_url = serializers.SerializerMethodField()

    class Meta:
        model = NotificationChannel
        fields = ("id", "name", "kind", "payload", "url", "has_url", "recipients", "enabled")

    def get_has_url(self, channel: NotificationChannel) -> bool:
        return bool(channel._url)

    def validate(self, attrs):
        kind = attrs.get("kind", getattr(self.instance, "kind", NotificationChannel.Kind.WEBHOOK))
        has_url = bool(attrs.get("url")) or bool(getattr(self.instance, "_url", ""))
        if kind == NotificationChannel.Kind.WEBHOOK and not has_url:
            raise serializers.ValidationError({"url": "A webhook channel needs its URL."})
        return attrs

    def create(self, validated_data):
        url = validated_data.pop("url", "")
        channel = NotificationChannel(**validated_data)
        channel.url = url
        channel.save()
        return channel

    def update(self, instance, validated_data):
        url = validated_data.pop("url", None)
        if url is not None:
            instance.url = url
        return super().update(instance, validated_data)


class ChannelList(generics.ListCreateAPIView):
    """Notification channels (admin): webhooks (generic JSON, Slack, Teams) and e-mail."""

    permission_classes = [CanAdminister]
    serializer_class = ChannelSerializer
    queryset = NotificationChannel.objects.all()


class ChannelDetail(generics.RetrieveUpdateDestroyAPIView):
    permission_classes = [CanAdminister]
    serializer_class = ChannelSerializer
    queryset = NotificationChannel.objects.all()
    http_method_names = ["get", "patch", "delete", "head", "options"]
