"""The export formats: content types, file extensions, and which dataset allows which format.

``/api/v1/export/formats`` lists this registry; every export view and the CLI
validate ``format`` against it, so an unsupported combination is a 400 that
names the valid formats.
"""

from __future__ import annotations

from dataclasses import dataclass

from kcloud.api.errors import BadParameter


@dataclass(frozen=True)
class Format:
    """One output format."""

    name: str
    content_type: str
    extension: str
    description: str


_ALL = (
    Format("json", "application/json", "json", "JSON: columns with units, the summary and the rows as objects."),
    Format(
        "csv",
        "text/csv; charset=utf-8",
        "csv",
        "CSV, UTF-8 with a header row, ISO 8601 UTC timestamps, units in column names; streamed.",
    ),
    Format(
        "parquet",
        "application/vnd.apache.parquet",
        "parquet",
        "Apache Parquet: typed columns (timestamp[s, UTC], float64, dictionary strings), zstd, "
        "units and query parameters in the file metadata.",
    ),
    Format(
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
        "Excel workbook: a summary sheet, data sheets with units in number formats, frozen header; "
        "a line chart of power series.",
    ),
    Format("pdf", "application/pdf", "pdf", "PDF (A4), the management report only."),
)

#: name -> (content type, extension)
FORMATS: dict[str, tuple[str, str]] = {f.name: (f.content_type, f.extension) for f in _ALL}
DESCRIPTIONS: dict[str, str] = {f.name: f.description for f in _ALL}

#: dataset -> the formats it can be exported in (first = default)
DATASET_FORMATS: dict[str, tuple[str, ...]] = {
    "power": ("json", "csv", "parquet", "xlsx"),
    "energy": ("json", "csv", "parquet", "xlsx"),
    "metrics": ("json", "csv", "parquet", "xlsx"),
    "report": ("pdf", "xlsx"),
}


def formats_for(dataset: str) -> tuple[str, ...]:
    """The formats ``dataset`` may be exported in."""
    return DATASET_FORMATS[dataset]


def parse_format(dataset: str, value: str | None, *, default: str | None = None) -> str:
    """Validate ``?format=`` for ``dataset``: a 400 listing the valid formats otherwise."""
    valid = formats_for(dataset)
    if value is None or value == "":
        if default is None:
            raise BadParameter("format", f"is required; one of {', '.join(valid)}.")
        return default
    if value not in valid:
        raise BadParameter("format", f"{value!r} is not available for {dataset}; use one of {', '.join(valid)}.")
    return value


def content_type(fmt: str) -> str:
    return FORMATS[fmt][0]


def extension(fmt: str) -> str:
    return FORMATS[fmt][1]


def registry() -> dict:
    """The body of ``/export/formats``."""
    return {
        "formats": [
            {
                "name": f.name,
                "content_type": f.content_type,
                "extension": f.extension,
                "description": f.description,
                "datasets": [d for d, fmts in DATASET_FORMATS.items() if f.name in fmts],
            }
            for f in _ALL
        ],
        "datasets": {d: list(fmts) for d, fmts in DATASET_FORMATS.items()},
    }
