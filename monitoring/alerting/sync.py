"""A budget's warning thresholds are alert rules of kind ``budget_threshold``: kept in step here."""

from __future__ import annotations

from django.db import transaction

from monitoring.models import AlertRule, Budget


@transaction.atomic
def budget_rules(budget: Budget, channels=None) -> list[AlertRule]:
    """One rule per ``warn_at_percent`` entry (created, kept, or removed); ``channels`` set on all when given."""
    wanted = sorted({float(p) for p in budget.warn_at_percent or []})
    rules = []
    for percent in wanted:
        rule, _created = AlertRule.objects.get_or_create(
            kind=AlertRule.Kind.BUDGET_THRESHOLD,
            budget=budget,
            threshold=percent,
            defaults={"name": f"{budget.name} at {percent:g} %"[:120], "cluster": budget.cluster},
        )
        if channels is not None:
            rule.channels.set(channels)
        rules.append(rule)
    AlertRule.objects.filter(kind=AlertRule.Kind.BUDGET_THRESHOLD, budget=budget).exclude(threshold__in=wanted).delete()
    return rules
