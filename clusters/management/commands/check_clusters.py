"""``manage.py check_clusters``: probe every enabled cluster and print a table.

Exits non-zero when any enabled cluster is down, so it can gate a deploy or
run from cron/monitoring. ``--placement`` adds, per cluster and exporter, how
many series were placed on a node and by which rule, and an example of each
exporter's unplaced series (then unplaced series also fail the command):
the first thing to run on a new Prometheus (docs/SCRAPE-SETUPS.md).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from clusters.health import check_clusters
from clusters.models import Cluster
from clusters.placement import diagnostics
from clusters.placement.model import RULES
from clusters.prometheus.fanout import fan_out


class Command(BaseCommand):
    help = "Check the connection to every enabled cluster's Prometheus; exit 1 if any is down."

    def add_arguments(self, parser) -> None:
        parser.add_argument("names", nargs="*", help="Only these clusters (default: all enabled)")
        parser.add_argument(
            "--placement",
            action="store_true",
            help="Also show, per exporter, how its series are placed on nodes (exit 1 if any cannot be).",
        )

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
        unplaced = self._placement([r.cluster for r in reports if r.ok]) if opts["placement"] else 0
        if down:
            raise CommandError(f"{len(down)} of {len(reports)} cluster(s) down: {', '.join(down)}")
        if unplaced:
            raise CommandError(f"{unplaced} series could not be placed on a node (see docs/SCRAPE-SETUPS.md)")

    def _placement(self, clusters: list) -> int:
        """Print the placement diagnostics of the answering clusters; return the unplaced series count."""
        results = fan_out(clusters, lambda client, cluster: diagnostics.diagnose(client, cluster))
        unplaced = 0
        for result in results:
            self.stdout.write("")
            if not result.ok:
                self.stdout.write(f"{result.cluster.name}: placement not available ({result.error})")
                continue
            self.stdout.write(f"{result.cluster.name}: placement of series on nodes")
            self.stdout.write(
                f"  {'EXPORTER':<18} {'PLACED':>13}  " + " ".join(f"{rule:>12}" for rule in RULES) + f" {'UNPLACED':>9}"
            )
            for source in result.value:
                rules = " ".join(f"{source.by_rule.get(rule, 0):>12}" for rule in RULES)
                placed = f"{source.placed} of {source.series}"
                self.stdout.write(f"  {source.source:<18} {placed:>13}  {rules} {source.unplaced:>9}")
                if source.example:
                    shown = ", ".join(f'{k}="{v}"' for k, v in sorted(source.example.items()))
                    self.stdout.write(f"    e.g. {{{shown}}}")
                unplaced += source.unplaced
        return unplaced
