"""``manage.py demo_alerting``: budgets and alert rules for the demo fleet, and a first evaluation.

``rundemo`` calls it once the clusters are registered, so the demo shows budgets
with their progress and one firing alert from the first page load. Limits are
set from the fleet's power now (a simulated fleet has no bills): a day's energy
at 110 % of the current rate, a month's cost at 120 %, and one cluster's power
rule just under what it draws, which fires at the first evaluation.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from clusters.models import Cluster
from clusters.prometheus.cache import evaluation_time
from monitoring.alerting import evaluate, sync
from monitoring.models import AlertRule, Budget
from monitoring.services.answers import sites_of
from monitoring.services.power import cluster_power, fan_out_now


class Command(BaseCommand):
    help = "Create the demo's budgets and alert rules, then evaluate them once."

    def handle(self, *args, **opts) -> None:
        clusters = list(Cluster.objects.enabled())
        sites = sites_of(clusters)
        results = [r for r in fan_out_now(clusters, sites, evaluation_time(None)) if r.ok]
        powers = {
            r.cluster.name: cluster_power(r.value.snapshot, sites[r.cluster.name], r.value.facility) for r in results
        }
        for cluster in clusters:
            watts = powers.get(cluster.name) and powers[cluster.name].it_power_watts
            if not watts:
                continue
            budget, _ = Budget.objects.update_or_create(
                name=f"{cluster.name} energy today",
                defaults={
                    "scope": "cluster",
                    "cluster": cluster,
                    "period": "day",
                    "measure": "energy_kwh",
                    "limit": round(watts / 1000 * 24 * 1.1),
                    "warn_at_percent": [80, 100],
                },
            )
            sync.budget_rules(budget)
        currency = clusters[0].currency if clusters else "KRW"
        hourly = sum(
            (p.it_power_watts or 0) / 1000 * (p.pue.value or 1.0) * float(sites[name].electricity_price_per_kwh or 0)
            for name, p in powers.items()
            if sites[name].currency == currency
        )
        if hourly:
            budget, _ = Budget.objects.update_or_create(
                name="fleet cost this month",
                defaults={
                    "scope": "fleet",
                    "period": "month",
                    "measure": "cost",
                    "currency": currency,
                    "limit": round(hourly * 24 * 31 * 1.2),
                    "warn_at_percent": [80, 100],
                },
            )
            sync.budget_rules(budget)
        AlertRule.objects.update_or_create(
            name="cluster unreachable", defaults={"kind": "cluster_unreachable", "for_seconds": 120}
        )
        AlertRule.objects.update_or_create(
            name="accelerator above 85 °C", defaults={"kind": "temperature_above", "threshold": 85, "for_seconds": 300}
        )
        AlertRule.objects.update_or_create(name="IPMI sensor critical", defaults={"kind": "ipmi_critical"})
        if powers:
            name, power = max(powers.items(), key=lambda item: item[1].it_power_watts or 0)
            threshold = round((power.it_power_watts or 0) * 0.9 / 1000) * 1000
            AlertRule.objects.update_or_create(
                name=f"{name} above {threshold / 1000:.0f} kW",
                defaults={
                    "kind": "power_above",
                    "level": "cluster",
                    "cluster": Cluster.objects.get(name=name),
                    "threshold": threshold,
                },
            )
        run = evaluate.run()
        firing = AlertRule.objects.filter(alerts__state="firing").distinct().count()
        self.stdout.write(
            f"  alerting: {Budget.objects.count()} budgets, {AlertRule.objects.count()} rules, {firing} firing"
            + ("" if run else " (evaluated by another worker)")
        )
