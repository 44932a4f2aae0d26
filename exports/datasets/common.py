"""Pieces shared by the datasets: row batching, the point limit, the query's metadata."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from django.conf import settings

from exports.dataset import Batch
from kcloud.api.errors import BadParameter
from kcloud.timeutil import isoformat

# Rows per batch: one Parquet row group, one CSV flush. Large enough for good
# compression and few row groups, small enough to keep a batch ~10-20 MB in Python.
BATCH_ROWS = 65_536


def max_points() -> int:
    return settings.KCLOUD_EXPORT_MAX_POINTS


def check_points(points: int, step_seconds: int | None) -> None:
    """400 when an export would exceed ``KCLOUD_EXPORT_MAX_POINTS`` (checked before anything is written)."""
    limit = max_points()
    if points <= limit:
        return
    if step_seconds:
        needed = -(-points * step_seconds // limit)  # the step that would fit, rounded up
        raise BadParameter(
            "step",
            f"this export has {points:,} points, more than the limit of {limit:,}; "
            f"use a larger step (at least {needed} s) or a shorter window.",
        )
    raise BadParameter("start", f"this export has {points:,} rows, more than the limit of {limit:,}.")


class Batcher:
    """Accumulates column slices and yields batches of about :data:`BATCH_ROWS` rows."""

    def __init__(self, names: list[str], size: int = BATCH_ROWS):
        self.names, self.size = names, size
        self._reset()

    def _reset(self) -> None:
        self.batch: Batch = {n: [] for n in self.names}
        self.rows = 0

    def add(self, columns: dict[str, list], rows: int) -> Iterator[Batch]:
        """Add ``rows`` rows (every column a list of that length); yield a batch when full."""
        for name in self.names:
            self.batch[name].extend(columns[name])
        self.rows += rows
        if self.rows >= self.size:
            yield self.batch
            self._reset()

    def flush(self) -> Iterator[Batch]:
        if self.rows:
            yield self.batch
            self._reset()


def cluster_names(clusters: Iterable) -> list[str]:
    return [c.name for c in clusters]


def span_parameters(start: datetime, end: datetime, **extra) -> dict:
    """The query as it was understood (aligned times), for the files' metadata."""
    return {"start": isoformat(start), "end": isoformat(end), **extra}
