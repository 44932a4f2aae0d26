"""Download file names: ``kcloud-<kind>-<clusters>-<start>-<end>.<ext>``, safe characters only.

Used by every export and by the report, so a file downloaded from the API, the
page or written by ``manage.py export`` is named the same way.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

# More names than this make an unreadable file name; the count says enough.
MAX_NAMED_CLUSTERS = 3
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def _safe(text: str) -> str:
    """Letters, digits, '-' and '_' only (cluster names are slugs already; this is defence in depth)."""
    return _UNSAFE.sub("-", text).strip("-") or "x"


def _stamp(moment: datetime) -> str:
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    if (moment.hour, moment.minute, moment.second) == (0, 0, 0):
        return moment.strftime("%Y%m%d")
    return moment.strftime("%Y%m%dT%H%MZ")


def cluster_part(clusters: list[str] | None) -> str:
    """``all`` when the caller did not narrow the clusters, their names (up to 3), else ``<n>-clusters``."""
    names = list(dict.fromkeys(clusters or []))
    if not names:
        return "all"
    if len(names) > MAX_NAMED_CLUSTERS:
        return f"{len(names)}-clusters"
    return "_".join(_safe(n) for n in names)


def export_filename(kind: str, clusters: list[str] | None, start: datetime, end: datetime, ext: str) -> str:
    """``kcloud-energy-seoul-a-20261101-20261108.xlsx``.

    ``clusters`` are the names the caller asked for (empty or None = every visible
    cluster, written ``all``). Dates are UTC; a bound that is not midnight keeps its
    time (``20261101T0930Z``) so two different windows never share a name.
    """
    return f"kcloud-{_safe(kind)}-{cluster_part(clusters)}-{_stamp(start)}-{_stamp(end)}.{_safe(ext)}"


def content_disposition(filename: str) -> str:
    """``attachment; filename="..."`` (the name is ASCII-safe by construction, quoted anyway)."""
    cleaned = re.sub(r"[^A-Za-z0-9._+-]", "_", filename)
    return f'attachment; filename="{cleaned}"'
