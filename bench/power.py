"""Latency of the power analytics on the large fleet, cold and warm, next to the raw PromQL floor.

Starts the "large" demo fleet (10 clusters x 100 nodes x 8 accelerators, one
Prometheus per cluster) with **7 days** of history (``--days``), then times,
through the full Django stack (``APIClient``, staff user):

* ``/monitoring/power`` (power now);
* ``/monitoring/energy?group_by=namespace`` over 7 days;
* ``/monitoring/timeseries/power`` over 7 days (by cluster);
* ``/monitoring/timeseries/metrics?metric=gpu_utilization_percent`` over 7 days (by cluster);

each **cold** (Django's cache cleared before every request) and **warm** (the same
request again). The **floor** is the same PromQL requests the endpoint makes,
sent raw to every cluster in parallel (within a cluster too, as the services do)
without parsing: the slowest cluster's raw time, which no parallel fan-out can beat.

History: rendering the large fleet costs ~5 s of CPU per 30 s scrape step (51,000
samples per cluster), so 7 days at 30 s (20,160 steps) would take a day here.
Everything older than the last ``--fine-minutes`` is therefore sampled every
``--coarse-step`` seconds (default 1 h: 169 steps), the last minutes at the
clusters' 30 s: counters are exact integrals and gauges what the exporter
printed, whatever the sampling, and the Prometheus servers get a lookback
(``--query.lookback-delta``) one coarse step wide so gauges hold between samples.
The 7-day queries thus scan 1/120 of the samples a 30 s history holds: the
floor is lower than on a real 7-day TSDB and the API's own work (which depends
on the answer's size, not on the samples scanned) the same, so cold/floor is, if
anything, pessimistic. ``--days 0 --history-hours H`` gives the old H-hour mode.

    .venv/bin/python bench/power.py [--rounds 10] [--days 7] [--coarse-step 3600] [--fine-minutes 15]
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

from _django import BenchFleet, percentiles, register_fleet, setup, table

WEEK = 7 * 86400


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--days", type=float, default=7.0, help="history length; 0: --history-hours at 30 s")
    parser.add_argument("--coarse-step", type=int, default=3600, help="sampling of history older than the fine part")
    parser.add_argument("--fine-minutes", type=float, default=15.0, help="the last minutes at the scrape interval")
    parser.add_argument("--history-hours", type=float, default=1.0, help="with --days 0 (at least 1)")
    parser.add_argument("--size", default="large")
    args = parser.parse_args()
    setup(ALLOWED_HOSTS="testserver,localhost")

    from django.core.cache import cache

    from accelerators import queries as accel_queries
    from clusters import placement
    from clusters.prometheus.client import reset_clients
    from clusters.prometheus.fanout import fan_out
    from clusters.prometheus.promql import union
    from infrastructure import queries as infra_queries
    from monitoring.services import metrics

    fleet_kwargs: dict = {}
    deploy_kwargs: dict = {}
    hours = args.history_hours
    if args.days > 0:
        hours = args.days * 24
        end = int(time.time() // 3600 * 3600)  # 7-day windows are aligned to their 1 h step
        # Counters start an hour before the history; the fleet's stopped node stops well before `at`.
        fleet_kwargs = {"epoch": end - hours * 3600 - 3600, "stop_at": end - 3 * 3600}
        lookback = f"{(args.coarse_step + 300) // 60}m"
        deploy_kwargs = {
            "history_end": end,
            "coarse_step": args.coarse_step,
            "fine_hours": args.fine_minutes / 60,
            "extra_args": [f"--query.lookback-delta={lookback}"],
        }
        history = (
            f"history {args.days:g} d: sampled every {args.coarse_step} s, the last {args.fine_minutes:g} min "
            f"every 30 s; Prometheus --query.lookback-delta={lookback}"
        )
    else:
        history = f"history {hours:g} h at 30 s (7-day windows scan only that)"

    with BenchFleet(args.size, hours, "power", fleet_kwargs=fleet_kwargs, **deploy_kwargs) as bench:
        fleet, deployment, setup_seconds = bench.fleet, bench.deployment, bench.setup_seconds
        clusters, api = register_fleet(deployment, timeout_seconds=60)
        last = deployment.history_end  # the backfill took minutes: "now" may be past the lookback
        # 7-day windows are aligned to their step (1 h): end at the last full hour, inside the history.
        at = int(last // 3600 * 3600)
        ts_step = 3600  # what parse_time_range picks for 7 days (169 points)
        gpu_util = metrics.METRICS["gpu_utilization_percent"]

        def devices(scope):
            return [
                ("q", accel_queries.live_gauges(scope, None)),
                ("q", accel_queries.last_seen_and_placement(scope, None)),
            ]

        plans = {
            "power": lambda scope: [("q", infra_queries.snapshot(scope)), *devices(scope)],
            "energy": lambda scope: [
                ("q", infra_queries.energy(scope, WEEK, infra_queries.subquery_step(WEEK))),
                *devices(scope),
            ],
            "series": lambda scope: [
                ("r", infra_queries.power_series(scope, ts_step, by_namespace=False)),
                ("q", union(*placement.parts(scope))),
            ],
            "metric": lambda scope: [("r", metrics.build_query(gpu_util, scope, ts_step, "cluster"))],
        }

        def raw(plan):
            def run(client, cluster) -> int:
                def one(item):
                    kind, expr = item
                    if kind == "q":
                        return len(client.query(expr, time=at).samples)
                    return len(client.query_range(expr, at - WEEK, at, ts_step).series)

                with ThreadPoolExecutor(max_workers=4) as pool:
                    return sum(pool.map(one, plan(cluster.scope)))

            return run

        def timed_raw(plan) -> list[float]:
            out = []
            for _ in range(args.rounds):
                started = time.perf_counter()
                results = fan_out(clusters, raw(plan))
                out.append(time.perf_counter() - started)
                assert all(r.ok for r in results), [r.error for r in results if not r.ok]
            return out

        endpoints = [
            ("/monitoring/power", "/api/v1/monitoring/power", {"time": at}, "power"),
            (
                "/monitoring/energy?group_by=namespace (7 d)",
                "/api/v1/monitoring/energy",
                {"start": at - WEEK, "end": at, "group_by": "namespace", "page_size": 100},
                "energy",
            ),
            (
                "/monitoring/timeseries/power (7 d, cluster)",
                "/api/v1/monitoring/timeseries/power",
                {"start": at - WEEK, "end": at, "group_by": "cluster"},
                "series",
            ),
            (
                "/monitoring/timeseries/metrics gpu_utilization_percent (7 d, cluster)",
                "/api/v1/monitoring/timeseries/metrics",
                {"start": at - WEEK, "end": at, "metric": gpu_util.name, "group_by": "cluster"},
                "metric",
            ),
        ]
        rows = []
        for label, url, params, plan in endpoints:
            floor = percentiles(timed_raw(plans[plan]))
            cold, warm = [], []
            count = 0
            for _ in range(args.rounds):
                cache.clear()
                reset_clients()
                started = time.perf_counter()
                response = api.get(url, params)
                cold.append(time.perf_counter() - started)
                assert response.status_code == 200, response.content[:300]
                failed = [c for c in response.json()["clusters"] if c["status"] != "ok"]
                assert not failed, failed
                count = response.json().get("count", len(response.json().get("by_cluster", [])))
                started = time.perf_counter()
                response = api.get(url, params)
                warm.append(time.perf_counter() - started)
            (c50, c95), (w50, w95) = percentiles(cold), percentiles(warm)
            rows.append(
                [
                    label,
                    count,
                    f"{c50:.0f}",
                    f"{c95:.0f}",
                    f"{w50:.1f}",
                    f"{w95:.1f}",
                    f"{floor[0]:.0f}",
                    f"{c50 / floor[0]:.2f}",
                ]
            )
        print(
            f"fleet {args.size}: {len(fleet.clusters)} clusters, {len(fleet.nodes)} nodes, {len(fleet.pods)} pods, "
            f"{len(fleet.gpus)} GPUs, {len(fleet.npus)} NPUs; {history}; setup {setup_seconds:.0f} s; "
            f"{args.rounds} rounds"
        )
        print(
            table(
                [
                    "endpoint (all clusters in parallel)",
                    "rows",
                    "cold p50 ms",
                    "cold p95 ms",
                    "warm p50 ms",
                    "warm p95 ms",
                    "raw floor p50 ms",
                    "cold/floor",
                ],
                rows,
            )
        )


if __name__ == "__main__":
    main()
