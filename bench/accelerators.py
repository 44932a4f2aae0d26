"""``GET /api/v1/accelerators/gpus`` on the large fleet: cold and warm cache against the raw PromQL.

Starts the "large" demo fleet (10 clusters x 100 nodes x 8 accelerators) in
real Prometheus servers with a short backfilled history (default 15 min: the
list only needs the last hour, and backfilling the large fleet is slow), then
times, over ``--rounds`` rounds each:

* raw   - the same PromQL requests the endpoint sends (two instant queries per
  cluster, clusters in parallel), through ``requests`` + ``json.loads`` with
  the cyclic GC paused: the least any Python client pays for the data;
* cold  - the endpoint with Django's cache and the in-process memo cleared
  before every request;
* warm  - the endpoint again within the same live window (cache hits).

Everything is evaluated at the end of the backfilled history (``?time=``): the
fleet is not scraped live, and a sample older than Prometheus' 5-minute
lookback would make devices "unavailable" (and the answers smaller) while the
rounds run.

    .venv/bin/python bench/accelerators.py [--rounds 15] [--history-minutes 15] [--size large]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _django import setup, table


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--history-minutes", type=float, default=15.0)
    parser.add_argument("--size", default="large")
    parser.add_argument("--manifest", help="reuse a running deployment: JSON {history_end, clusters: [{name, url}]}")
    args = parser.parse_args()
    setup()

    import requests
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.test import Client

    from accelerators import queries
    from clusters.models import Cluster
    from clusters.prometheus import memo
    from clusters.prometheus.gcpause import gc_paused
    from demo.deployment import start_fleet_prometheus
    from demo.fleet import build_fleet

    fleet = build_fleet(7, args.size)
    started = time.perf_counter()
    if args.manifest:
        manifest = json.loads(Path(args.manifest).read_text())
        deployment = None
    else:
        deployment = start_fleet_prometheus(
            fleet, args.history_minutes / 60.0, live=False, workdir=tempfile.mkdtemp(prefix="kcloud-bench-acc-")
        )
        manifest = {
            "history_end": deployment.history_end,
            "clusters": [{"name": e.name, "url": e.url} for e in deployment.clusters],
        }
    setup_seconds = time.perf_counter() - started
    at = manifest["history_end"]
    try:
        clusters = [
            Cluster.objects.create(name=e["name"], prometheus_url=e["url"], timeout_seconds=60.0)
            for e in manifest["clusters"]
        ]
        user = get_user_model().objects.create_superuser("bench")  # every cluster, every role
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)

        session = requests.Session()
        session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=32))

        def raw_cluster(cluster, at: float) -> int:
            samples = 0
            for expr in (queries.live_gauges(cluster.scope), queries.last_seen_and_placement(cluster.scope)):
                response = session.post(
                    cluster.prometheus_url + "/api/v1/query", data={"query": expr, "time": f"{at:.3f}"}, timeout=60
                )
                response.raise_for_status()
                samples += len(response.json()["data"]["result"])
            return samples

        pool = ThreadPoolExecutor(max_workers=len(clusters))

        def raw_round() -> int:
            # Best case for raw too: its JSON decoding runs with the cyclic GC paused, like the service's.
            with gc_paused():
                return sum(pool.map(lambda c: raw_cluster(c, at), clusters))

        def api_round() -> dict:
            response = client.get("/api/v1/accelerators/gpus", {"time": str(at)})
            assert response.status_code == 200, response.content[:300]
            return response.json()

        body = api_round()  # warm up connections and imports
        samples = raw_round()
        timings: dict[str, list[float]] = {"raw": [], "cold": [], "warm": []}
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            raw_round()
            timings["raw"].append(time.perf_counter() - t0)

            cache.clear()
            memo.clear()
            t0 = time.perf_counter()
            api_round()
            timings["cold"].append(time.perf_counter() - t0)

            # Warm: the same request again, answers already cached.
            t0 = time.perf_counter()
            api_round()
            timings["warm"].append(time.perf_counter() - t0)
        raw_p50 = statistics.median(timings["raw"])
        rows = []
        for label in ("raw", "cold", "warm"):
            p50 = statistics.median(timings[label])
            p95 = percentile(timings[label], 0.95)
            rows.append([label, f"{p50 * 1000:.1f}", f"{p95 * 1000:.1f}", f"{p50 / raw_p50:.2f}"])
        print(
            f"fleet {args.size}: {len(fleet.clusters)} clusters, {len(fleet.gpus)} GPUs, {len(fleet.npus)} NPUs; "
            f"history {args.history_minutes:g} min (setup {setup_seconds:.0f} s); {args.rounds} rounds; "
            f"/gpus count={body['count']} page={len(body['results'])}; raw PromQL: "
            f"{2 * len(clusters)} requests, {samples} samples"
        )
        print(table(["what", "p50 ms", "p95 ms", "p50 / raw p50"], rows))
        print("targets: cold <= 1.5 x raw, warm p50 <= 20 ms")
    finally:
        if deployment is not None:
            deployment.stop()


if __name__ == "__main__":
    main()
