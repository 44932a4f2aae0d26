"""The management report (PDF or XLSX) of a period: :func:`render_report`.

Used by ``GET /api/v1/export/report``, the exports page and ``manage.py export
report``: one code path. The numbers come from the monitoring services (see
:mod:`exports.report.data`); the window from :mod:`exports.report.period`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from exports.filenames import export_filename
from exports.formats import content_type, extension, parse_format
from exports.report.data import Report, build_report
from exports.report.period import PERIODS, Window, resolve_window

__all__ = ["PERIODS", "Rendered", "Report", "Window", "build_report", "render_report", "resolve_window"]


@dataclass(frozen=True)
class Rendered:
    """A finished download."""

    content: bytes
    filename: str
    content_type: str


def render_report(
    clusters: list[Any],
    *,
    period: str,
    start: datetime | str | None = None,
    end: datetime | str | None = None,
    fmt: str,
    requested: list[str] | None = None,
    now: datetime | None = None,
) -> Rendered:
    """Render the report of ``clusters`` (scope-checked Cluster rows) for a period as PDF or XLSX.

    ``requested``: the cluster names the caller asked for (for the file name;
    empty = every visible cluster, named ``all``). Raises
    :class:`~kcloud.api.errors.BadParameter` for a bad period, window or format.
    """
    fmt = parse_format("report", fmt)
    window = resolve_window(period, start, end, now=now)
    report = build_report(clusters, window, requested=requested, now=now)
    if fmt == "pdf":
        from exports.report.pdf import render_pdf

        content = render_pdf(report)
    else:
        from exports.report.xlsx import render_xlsx

        content = render_xlsx(report)
    filename = export_filename("report", requested, window.start, window.end, extension(fmt))
    return Rendered(content=content, filename=filename, content_type=content_type(fmt))
