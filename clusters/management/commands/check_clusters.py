"""``manage.py check_clusters``: probe every enabled cluster and print a table.

Exits non-zero when any enabled cluster is down, so it can gate a deploy or
run from cron/monitoring.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from clusters.health import check_clusters
from clusters.models import Cluster


class Command(BaseCommand):
    help = "Check the connection to every enabled cluster's Prometheus; exit 1 if any is down."

    def add_arguments(self, parser) -> None:
        parser.add_argument("names", nargs="*", help="Only these clusters (default: all enabled)")

    def handle(self, *args, **opts) -> None:
        clusters = Cluster.objects.enabled()
        if opts["names"]:
            clusters = clusters.filter(name__in=opts["names"])
            missing = set(opts["names"]) - set(clusters.values_list("name", flat=True))
            if missing:
                raise CommandError(f"Unknown or disabled cluster(s): {', '.join(sorted(missing))}")
        reports = check_clusters(clusters)
        if not reports:
            self.stdout.write("No enabled clusters.")
            return
        header = f"{'CLUSTER':<24} {'STATUS':<7} {'LATENCY':>9}  {'PROMETHEUS':<12} ERROR"
        self.stdout.write(header)
        for report in reports:
            latency = f"{report.latency_ms:.0f} ms" if report.latency_ms is not None else "-"
            status = "ok" if report.ok else "DOWN"
            self.stdout.write(
                f"{report.cluster.name:<24} {status:<7} {latency:>9}  {report.version or '-':<12} {report.error or ''}"
            )
        down = [r.cluster.name for r in reports if not r.ok]
        if down:
            raise CommandError(f"{len(down)} of {len(reports)} cluster(s) down: {', '.join(down)}")
