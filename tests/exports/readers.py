"""Read an export back with the format's own reader (csv module, json, pyarrow.parquet, openpyxl).

Every reader returns ``(column names, rows as dicts)`` with timestamps as ISO 8601
UTC text and missing values as ``None``, so the formats compare with each other
and with the JSON API directly.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

NUMBER_SUFFIXES = ("_watts", "_kwh", "_grams", "_percent", "_celsius", "_mb", "_mhz")


def iso(value: datetime) -> str:
    if value.tzinfo is None:  # Excel: naive datetimes holding UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _csv_value(name: str, text: str):
    if text == "":
        return None
    if name in ("idle",):
        return {"true": True, "false": False}[text]
    if name.endswith(NUMBER_SUFFIXES) or name in ("cost", "pue"):
        return float(text)
    if name == "index":
        return int(text)
    return text


def read_csv(content: bytes) -> tuple[list[str], list[dict]]:
    reader = csv.reader(io.StringIO(content.decode("utf-8"), newline=""))
    header = next(reader)
    rows = [{n: _csv_value(n, v) for n, v in zip(header, line, strict=True)} for line in reader]
    return header, rows


def read_json(content: bytes) -> tuple[list[str], list[dict]]:
    body = json.loads(content)
    return [c["name"] for c in body["columns"]], body["rows"]


def read_parquet(content: bytes) -> tuple[list[str], list[dict]]:
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(content))
    rows = table.to_pylist()
    for row in rows:
        for key, value in row.items():
            if isinstance(value, datetime):
                row[key] = iso(value)
    return table.column_names, rows


def read_xlsx(content: bytes) -> tuple[list[str], list[dict]]:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(content), read_only=True)
    header: list[str] = []
    rows: list[dict] = []
    for name in wb.sheetnames:
        if not name.startswith("Data"):
            continue
        lines = wb[name].iter_rows(values_only=True)
        header = list(next(lines))
        for line in lines:
            line = tuple(line) + (None,) * (len(header) - len(line))  # trailing empty cells are absent
            row = {}
            for key, value in zip(header, line, strict=True):
                row[key] = iso(value) if isinstance(value, datetime) else value
            rows.append(row)
    wb.close()
    return header, rows


READERS = {"csv": read_csv, "json": read_json, "parquet": read_parquet, "xlsx": read_xlsx}


def read(fmt: str, content: bytes) -> tuple[list[str], list[dict]]:
    return READERS[fmt](content)


def body_of(response) -> bytes:
    """The bytes of a (streaming or not) response."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content
