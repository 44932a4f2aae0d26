"""``manage.py export power|energy|metrics|report``: the API's exports, written to a file.

    manage.py export energy --format xlsx --start 2026-11-01 --end 2026-11-08 --group-by namespace --output e.xlsx
    manage.py export power --format parquet --start 2026-11-01 --end 2026-11-08 --step 5m --output p.parquet
    manage.py export metrics --metric gpu_power_watts --format csv --start ... --end ... --step 1m --output g.csv
    manage.py export report --period weekly --format pdf --output report.pdf

Same code path as ``/api/v1/export/*`` (the parameters go through the same
parsers, the same datasets and writers produce the same bytes), run as a
superuser: every enabled cluster unless ``--cluster`` narrows it. A progress bar
goes to stderr for long exports; ``--output -`` writes to stdout.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.http import QueryDict

from clusters.scope import Principal, select_clusters
from exports.datasets import energy, metrics, power
from kcloud.api.errors import ApiError
from kcloud.api.params import reject_unknown

BUILDERS = {"power": power.build, "energy": energy.build, "metrics": metrics.build}
# Below this many rows an export is quick: no progress bar unless asked.
PROGRESS_ROWS = 100_000


class CommandLineUser:
    """The principal of ``manage.py``: whoever can run it can read every cluster (like a superuser)."""

    is_authenticated = True
    is_active = True
    is_staff = True
    is_superuser = True
    pk = None

    def get_username(self) -> str:
        return "manage.py"

    def has_perm(self, _permission: str) -> bool:
        return True  # a superuser has every permission


class Progress:
    """``[#####.....]  48%  1,234,567 / 2,580,480 rows  12.3 s`` on stderr, redrawn at most 10 times a second."""

    def __init__(self, total: int | None, write, width: int = 30):
        self.total, self.done, self.width = total, 0, width
        self.write = write  # the command's stderr (an OutputWrapper: ``ending=""`` keeps the line)
        self.began = self.last = time.monotonic()
        self.drawn = -1

    def update(self, rows: int) -> None:
        self.done += rows
        now = time.monotonic()
        if now - self.last >= 0.1 or (self.total and self.done >= self.total):
            self.last = now
            self.draw(now)

    def draw(self, now: float | None = None) -> None:
        elapsed = (now or time.monotonic()) - self.began
        if self.total:
            share = min(1.0, self.done / self.total)
            bar = "#" * int(share * self.width)
            text = f"[{bar:.<{self.width}}] {share:4.0%}  {self.done:,} / {self.total:,} rows  {elapsed:.1f} s"
        else:
            text = f"{self.done:,} rows  {elapsed:.1f} s"
        self.write("\r" + text, ending="")
        self.drawn = self.done

    def finish(self) -> None:
        if self.drawn != self.done:
            self.draw()
        self.write("")


class Command(BaseCommand):
    help = "Export power, energy, metrics or the management report to a file (same code as /api/v1/export/*)."

    def add_arguments(self, parser):
        parser.add_argument("dataset", choices=[*BUILDERS, "report"])
        parser.add_argument("--format", dest="fmt", help="json, csv, parquet, xlsx (pdf/xlsx for report).")
        parser.add_argument("--start", help="ISO 8601 or Unix seconds.")
        parser.add_argument("--end", help="ISO 8601 or Unix seconds (default now).")
        parser.add_argument("--step", help="30s, 1m, 5m, ... (power, metrics).")
        parser.add_argument("--cluster", action="append", default=[], help="Only this cluster (repeatable).")
        parser.add_argument("--group-by", help="power: cluster|resource_type|namespace|node; energy: see the API.")
        parser.add_argument("--idle", help="energy: node|share.")
        parser.add_argument("--metric", help="metrics: a catalog metric (e.g. gpu_power_watts).")
        parser.add_argument("--resource", help="metrics: gpus|npus|nodes|pods.")
        parser.add_argument("--period", help="report: daily|weekly|monthly|custom.")
        parser.add_argument("--output", "-o", required=True, help="The file to write ('-' = stdout).")
        bar = parser.add_mutually_exclusive_group()
        bar.add_argument("--progress", action="store_true", default=None, help="Always draw the progress bar.")
        bar.add_argument("--no-progress", action="store_false", dest="progress", help="Never draw it.")

    def params(self, options) -> QueryDict:
        """The options as the API's query parameters (absent options stay absent)."""
        query = QueryDict(mutable=True)
        for name, option in (
            ("format", "fmt"),
            ("start", "start"),
            ("end", "end"),
            ("step", "step"),
            ("group_by", "group_by"),
            ("idle", "idle"),
            ("metric", "metric"),
            ("resource", "resource"),
            ("period", "period"),
        ):
            if options.get(option):
                query[name] = options[option]
        query.setlist("cluster", options["cluster"])
        return query

    def handle(self, *args, **options):
        principal = Principal(user=CommandLineUser())
        query = self.params(options)
        self._progress: Progress | None = None
        try:
            # An option the dataset does not take is an error, as the parameter is for the API.
            reject_unknown(query, self.allowed_params(options["dataset"]))
            if options["dataset"] == "report":
                filename, chunks = self.report(principal, query)
            else:
                filename, chunks = self.export(principal, options["dataset"], query, options)
            written = self.write(options["output"], chunks)
        except ApiError as exc:
            raise CommandError(str(exc.detail)) from exc
        if options["output"] != "-":
            self.stderr.write(f"wrote {options['output']} ({written:,} bytes; suggested name {filename})")

    @staticmethod
    def allowed_params(dataset: str) -> tuple[str, ...]:
        if dataset == "report":
            from exports.api.report import ReportExportView

            return ReportExportView.allowed_params
        from exports.api.views import EXPORT_VIEWS

        return EXPORT_VIEWS[dataset].allowed_params

    def export(self, principal: Principal, dataset: str, query: QueryDict, options):
        from exports.api.views import build_export
        from exports.formats import extension
        from exports.writers import render

        data, fmt = build_export(principal, dataset, query, BUILDERS[dataset])
        if failed := data.failed_clusters():
            self.stderr.write(f"partial export: {', '.join(failed)} did not answer; their rows are missing")
        show = options["progress"]
        if show is None:
            show = (data.total_rows or 0) >= PROGRESS_ROWS
        if show:
            self._progress = Progress(data.total_rows, self.stderr.write)
            data.on_progress = self._progress.update
        return data.filename(extension(fmt)), render(data, fmt)

    def report(self, principal: Principal, query: QueryDict):
        from exports.report import render_report

        requested = query.getlist("cluster")
        clusters = select_clusters(principal, requested)
        rendered = render_report(
            clusters,
            period=query.get("period") or "",
            start=query.get("start"),
            end=query.get("end"),
            fmt=query.get("format") or "",
            requested=requested,
        )
        return rendered.filename, iter([rendered.content])

    def write(self, output: str, chunks) -> int:
        written = 0
        if output == "-":
            for chunk in chunks:
                sys.stdout.buffer.write(chunk)
                written += len(chunk)
            sys.stdout.buffer.flush()
        else:
            path = Path(output)
            partial = path.with_name(path.name + ".partial")
            try:
                with open(partial, "wb") as out:
                    for chunk in chunks:
                        out.write(chunk)
                        written += len(chunk)
                os.replace(partial, path)  # a failed export never leaves a truncated file behind
            finally:
                partial.unlink(missing_ok=True)
        if self._progress is not None:
            self._progress.finish()
        return written
