"""Set Django up for a benchmark script: throwaway SQLite, no cache, DEBUG settings."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path


def setup(**env: str) -> None:
    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kcloud.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("KCLOUD_VAR_DIR", tempfile.mkdtemp(prefix="kcloud-bench-"))
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    os.environ.update(env)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def table(headers: list[str], rows: list[list]) -> str:
    """Render a plain-text table (what the closing notes quote)."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def percentiles(samples: list[float]) -> tuple[float, float]:
    """(p50, p95) of durations in seconds, as milliseconds."""
    import statistics

    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def register_fleet(deployment, *, timeout_seconds: float = 60.0):
    """Register a bench deployment's clusters and return ``(clusters, staff APIClient)``."""
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    from clusters.models import Cluster

    for endpoint in deployment.registry():
        Cluster.objects.create(name=endpoint.name, prometheus_url=endpoint.url, timeout_seconds=timeout_seconds)
    from kcloud.auth import roles

    user = get_user_model().objects.create_user("bench", is_staff=True)
    roles.grant(user, roles.OPERATOR, all_clusters=True)
    api = APIClient()
    api.force_authenticate(user)
    return list(Cluster.objects.all()), api


class BenchFleet:
    """Build a demo fleet, backfill it into real Prometheus servers, and clean up after.

    ``with BenchFleet(size, hours, "infra") as bench:`` gives ``bench.fleet``,
    ``bench.deployment`` and ``bench.setup_seconds``; the servers and their data
    directory are removed on exit.
    """

    def __init__(
        self, size: str, history_hours: float, label: str, *, fleet_kwargs: dict | None = None, **deploy_kwargs
    ):
        """``fleet_kwargs`` go to ``build_fleet`` (``epoch``, ``stop_at``) and ``deploy_kwargs`` to
        ``start_fleet_prometheus`` (``history_end``, ``coarse_step``, ``fine_hours``, ``extra_args``)."""
        self.size, self.history_hours, self.label = size, history_hours, label
        self.fleet_kwargs, self.deploy_kwargs = fleet_kwargs or {}, deploy_kwargs

    def __enter__(self) -> BenchFleet:
        from demo.deployment import start_fleet_prometheus
        from demo.fleet import build_fleet

        began = time.perf_counter()
        self.fleet = build_fleet(seed=7, size=self.size, **self.fleet_kwargs)
        self.workdir = tempfile.mkdtemp(prefix=f"kcloud-bench-{self.label}-")
        self.deployment = start_fleet_prometheus(
            self.fleet, self.history_hours, live=False, workdir=self.workdir, **self.deploy_kwargs
        )
        self.setup_seconds = time.perf_counter() - began
        return self

    def __exit__(self, *exc_info) -> None:
        self.deployment.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)
