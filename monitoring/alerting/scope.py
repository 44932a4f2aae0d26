"""Which budgets, rules and alerts a principal sees: those of its clusters, and fleet-wide ones if it sees all."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from monitoring.models import Alert, AlertRule, Budget


def cluster_scope(principal) -> tuple[set[str], bool]:
    """(names of the clusters the principal sees, whether that is every enabled cluster)."""
    return set(principal.visible_clusters().values_list("name", flat=True)), principal.sees_every_cluster()


def _tied(queryset: QuerySet, principal, field: str) -> QuerySet:
    names, every = cluster_scope(principal)
    mine = Q(**{f"{field}__name__in": names})
    return queryset.filter(mine | Q(**{f"{field}__isnull": True})) if every else queryset.filter(mine)


def visible_budgets(principal) -> QuerySet:
    return _tied(Budget.objects.select_related("cluster"), principal, "cluster")


def visible_rules(principal) -> QuerySet:
    return _tied(AlertRule.objects.select_related("cluster").prefetch_related("channels"), principal, "cluster")


def visible_alerts(principal) -> QuerySet:
    """Alerts of the principal's clusters (fleet-wide ones for whoever sees all), firing first."""
    names, every = cluster_scope(principal)
    mine = Q(cluster__in=names) | (Q(cluster="") if every else Q(pk__in=[]))
    firing_first = Case(
        When(state=Alert.State.FIRING, then=Value(0)),
        When(state=Alert.State.PENDING, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return (
        Alert.objects.filter(mine)
        .select_related("rule", "acknowledged_by")
        .prefetch_related("events")
        .order_by(firing_first, "-fired_at", "rule__name", "subject")
    )
