"""Alert evaluation: time and PromQL requests per evaluation as rules and budgets grow.

Starts a demo fleet (default ``bench``: 4 clusters x 37 nodes, 1,032 GPUs and 152
NPUs, one Prometheus per cluster), registers it with site economics, then for each
configuration (rules, budgets) creates that many of every kind (power at cluster,
node and accelerator level, temperature, reachability, idle energy, IPMI, budget
thresholds; budgets per cluster, namespace and fleet, per day, week and month) and
runs ``--rounds`` evaluations, each in its own slot, with Django's cache cleared
first (every answer from Prometheus). The target: requests per evaluation do not
grow with the number of rules on the same clusters.

    .venv/bin/python bench/alerts.py [--rounds 5] [--size bench]
"""

from __future__ import annotations

import argparse
import itertools
import time

from _django import BenchFleet, percentiles, register_fleet, setup, table

CONFIGS = ((30, 5), (80, 10), (200, 50))  # (rules, budgets): budgets bring two threshold rules each
RULE_KINDS = (
    ("power_above", "cluster", 50_000),
    ("power_above", "node", 3_000),
    ("power_above", "accelerator", 650),
    ("temperature_above", "cluster", 85),
    ("cluster_unreachable", "cluster", 0),
    ("idle_energy_above", "cluster", 5),
    ("ipmi_critical", "cluster", 0),
)


def _make(rules: int, budgets: int, clusters: list) -> None:
    from monitoring.alerting import sync
    from monitoring.models import AlertRule, Budget

    AlertRule.objects.all().delete()
    Budget.objects.all().delete()
    shapes = itertools.cycle(
        [
            ("cluster", "day", "energy_kwh", ""),
            ("namespace", "week", "carbon_kg", ""),
            ("fleet", "month", "cost", "KRW"),
        ]
    )
    made_budgets = []
    for i in range(budgets):
        scope, period, measure, currency = next(shapes)
        budget = Budget.objects.create(
            name=f"budget {i}",
            scope=scope,
            cluster=clusters[i % len(clusters)] if scope == "cluster" else None,
            namespace=f"team-{i % 7}" if scope == "namespace" else "",
            period=period,
            measure=measure,
            currency=currency,
            limit=1000.0 + i,
            warn_at_percent=[80, 100],
        )
        sync.budget_rules(budget)
        made_budgets.append(budget)
    kinds = itertools.cycle(RULE_KINDS)
    for i in range(rules - 2 * budgets):
        kind, level, threshold = next(kinds)
        cluster = clusters[i % len(clusters)] if i % 2 else None
        AlertRule.objects.create(
            name=f"rule {i}", kind=kind, level=level, cluster=cluster, threshold=threshold + i, for_seconds=300
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--history-hours", type=float, default=0.5)
    parser.add_argument("--size", default="bench")
    args = parser.parse_args()
    setup(ALLOWED_HOSTS="testserver,localhost")

    from django.core.cache import cache

    from clusters.prometheus.client import reset_clients
    from clusters.prometheus.fanout import fan_out
    from kcloud.timeutil import from_unix
    from monitoring.alerting import evaluate
    from monitoring.models import Alert, AlertRule, Budget

    with BenchFleet(args.size, args.history_hours, "alerts", fleet_kwargs={"profiles": "mixed"}) as bench:
        fleet, deployment = bench.fleet, bench.deployment
        clusters, _api = register_fleet(deployment, timeout_seconds=30)
        for cluster in clusters:
            cluster.design_pue, cluster.carbon_intensity_g_per_kwh = 1.4, 430.0
            cluster.electricity_price_per_kwh, cluster.currency = 168.5, "KRW"
            cluster.save()
        last = fan_out(clusters[:1], lambda c, _cl: c.query("max(timestamp(kube_node_info))"))[0].value.scalar
        at = int(last // 60 * 60)
        slot = itertools.count()

        rows = []
        for rules, budgets in CONFIGS:
            _make(rules, budgets, clusters)
            cold, per_eval = [], []
            for _ in range(args.rounds):
                cache.clear()
                reset_clients()
                started = time.perf_counter()
                run = evaluate.run(from_unix(at - 60 * next(slot)))
                cold.append(time.perf_counter() - started)
                assert run is not None and not run.error, run and run.error
                per_eval.append(run.requests)
            p50, p95 = percentiles(cold)
            rows.append(
                [
                    AlertRule.objects.count(),
                    Budget.objects.count(),
                    f"{min(per_eval)}-{max(per_eval)}" if min(per_eval) != max(per_eval) else per_eval[0],
                    f"{per_eval[0] / len(clusters):.1f}",
                    Alert.objects.count(),
                    f"{p50:.0f}",
                    f"{p95:.0f}",
                ]
            )
        print(
            f"fleet {args.size}: {len(fleet.clusters)} clusters, {len(fleet.nodes)} nodes, {len(fleet.gpus)} GPUs, "
            f"{len(fleet.npus)} NPUs; scrape profiles {deployment.scrape_profiles()}; history {args.history_hours} h; "
            f"{args.rounds} evaluations per configuration, cache cleared before each"
        )
        headers = ["rules", "budgets", "PromQL/evaluation", "PromQL/cluster", "alerts", "p50 ms", "p95 ms"]
        print(table(headers, rows))


if __name__ == "__main__":
    main()
