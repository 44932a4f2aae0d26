"""What every export writer consumes: typed columns, row batches, a summary and the query.

A :class:`Dataset` is built by :mod:`exports.datasets` from the same services as
the JSON API; the writers in :mod:`exports.writers` turn it into JSON, CSV,
Parquet or Excel. Rows travel in **column batches** (``{column: [values]}``):
the writers never hold more than one batch, so memory stays bounded whatever
the size of the export, and Parquet/CSV get their columns without transposing.

Timestamps in batches are Unix seconds (UTC); each writer renders them in its
own type (ISO 8601 text, ``timestamp[s, UTC]``, an Excel date).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from exports.filenames import export_filename

Kind = Literal["timestamp", "string", "float", "int", "bool"]
Batch = dict[str, list]


@dataclass(frozen=True)
class Column:
    """One column; ``unit`` is the unit its name carries (``power_watts`` → ``W``)."""

    name: str
    kind: Kind
    unit: str | None = None
    description: str = ""


@dataclass
class Chart:
    """A small wide table for a native line chart (``timestamp`` then one column per series)."""

    title: str
    y_title: str
    columns: list[str]
    rows: list[tuple]


@dataclass
class Dataset:
    """An export ready to be written.

    ``batches`` is called once by the writer; it may fetch lazily (the metrics
    dataset queries Prometheus chunk by chunk) and may update ``summary`` as it
    goes, so writers that can put the summary after the rows (JSON, Excel,
    Parquet footer) do so.
    """

    name: str
    title: str
    columns: list[Column]
    batches: Callable[[], Iterator[Batch]]
    summary: dict[str, Any]
    parameters: dict[str, Any]
    clusters: list[dict]
    requested: list[str]  # the clusters the caller named (empty = all visible): the file name says so
    start: datetime
    end: datetime
    total_rows: int | None = None
    chart: Chart | None = None
    kind: str = ""  # the file name's word for it (default ``name``)
    # Called with the number of rows of each batch written (the CLI's progress bar).
    on_progress: Callable[[int], None] | None = field(default=None, repr=False)

    def filename(self, extension: str) -> str:
        """``kcloud-<name>-<clusters>-<start>-<end>.<extension>``."""
        return export_filename(self.kind or self.name, self.requested, self.start, self.end, extension)

    def failed_clusters(self) -> list[str]:
        """Clusters that did not answer when the export began: their rows are missing, so the export is partial."""
        return [c["name"] for c in self.clusters if c.get("status") != "ok"]

    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def iter_batches(self) -> Iterator[Batch]:
        """The batches, reporting progress after each."""
        for batch in self.batches():
            yield batch
            if self.on_progress is not None:
                self.on_progress(batch_len(batch))

    def units(self) -> dict[str, str]:
        return {c.name: c.unit for c in self.columns if c.unit}


def batch_len(batch: Batch) -> int:
    """Rows in a column batch."""
    for values in batch.values():
        return len(values)
    return 0


def unit_of(name: str) -> str | None:
    """The unit a field name carries, by its suffix (the API's naming convention)."""
    for suffix, unit in _UNIT_SUFFIXES:
        if name.endswith(suffix):
            return unit
    return None


_UNIT_SUFFIXES = (
    ("_watts", "W"),
    ("_kwh", "kWh"),
    ("_grams", "gCO2e"),
    ("_percent", "%"),
    ("_celsius", "°C"),
    ("_mb", "MB"),
    ("_mhz", "MHz"),
    ("_seconds", "s"),
    ("_ms", "ms"),
    ("_bytes", "B"),
)
