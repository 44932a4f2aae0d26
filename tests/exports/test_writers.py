"""Writers, file names and the format registry, on a small synthetic dataset (no Prometheus needed)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest

from exports.dataset import Chart, Column, Dataset
from exports.filenames import content_disposition, export_filename
from exports.formats import DATASET_FORMATS, FORMATS, parse_format
from exports.writers import render
from kcloud.api.errors import BadParameter
from tests.exports.readers import read

START = datetime(2026, 11, 1, tzinfo=UTC)
END = datetime(2026, 11, 8, tzinfo=UTC)
T0 = START.timestamp()


def _dataset(rows: int = 5, *, chart: bool = True, batch: int = 2) -> Dataset:
    columns = [
        Column("timestamp", "timestamp"),
        Column("cluster", "string"),
        Column("idle", "bool"),
        Column("power_watts", "float", "W", "Mean power."),
    ]

    def batches():
        for first in range(0, rows, batch):
            n = min(batch, rows - first)
            yield {
                "timestamp": [T0 + 60 * (first + i) for i in range(n)],
                "cluster": ["seoul-a" if (first + i) % 2 else "busan-b" for i in range(n)],
                "idle": [(first + i) % 3 == 0 for i in range(n)],
                "power_watts": [None if (first + i) == 3 else 100.0 + (first + i) / 3 for i in range(n)],
            }

    return Dataset(
        name="power",
        title="Power time series",
        columns=columns,
        batches=batches,
        summary={"rows": rows, "total": {"mean_power_watts": 101.0}, "groups": [{"cluster": "a", "samples": 3}]},
        parameters={"start": "2026-11-01T00:00:00Z", "step_seconds": 60, "cluster": ["seoul-a"]},
        clusters=[{"name": "seoul-a", "status": "ok", "error": None, "latency_ms": 1.0}],
        requested=["seoul-a"],
        start=START,
        end=END,
        total_rows=rows,
        chart=Chart("Power (W)", "power_watts", ["timestamp", "total_power_watts"], [(T0, 1.0), (T0 + 60, 2.0)])
        if chart
        else None,
    )


EXPECTED = [
    {
        "timestamp": f"2026-11-01T00:0{i}:00Z",
        "cluster": "seoul-a" if i % 2 else "busan-b",
        "idle": i % 3 == 0,
        "power_watts": None if i == 3 else 100.0 + i / 3,
    }
    for i in range(5)
]


@pytest.mark.parametrize("fmt", ["json", "csv", "parquet", "xlsx"])
def test_every_format_reads_back_the_rows(fmt):
    columns, rows = read(fmt, b"".join(render(_dataset(), fmt)))
    assert columns == ["timestamp", "cluster", "idle", "power_watts"]
    if fmt == "xlsx":
        for row in rows:
            row["power_watts"] = None if row["power_watts"] is None else round(row["power_watts"], 10)
        expected = [
            {**r, "power_watts": None if r["power_watts"] is None else round(r["power_watts"], 10)} for r in EXPECTED
        ]
        assert rows == expected
    else:
        assert rows == EXPECTED


def test_csv_is_utf8_with_a_header_and_iso_utc_times():
    chunks = list(render(_dataset(), "csv"))
    assert len(chunks) == 1 + 3  # the header, then one chunk per batch: streamed, not built whole
    text = b"".join(chunks).decode("utf-8")
    lines = text.splitlines()
    assert lines[0] == "timestamp,cluster,idle,power_watts"
    assert lines[1] == "2026-11-01T00:00:00Z,busan-b,true,100.0"
    assert lines[4] == "2026-11-01T00:03:00Z,seoul-a,true,"


def test_json_has_columns_units_parameters_and_summary():
    body = json.loads(b"".join(render(_dataset(), "json")))
    assert body["dataset"] == "power"
    assert body["columns"][3] == {"name": "power_watts", "type": "float", "unit": "W"}
    assert body["parameters"]["step_seconds"] == 60 and body["summary"]["rows"] == 5
    assert body["clusters"][0]["status"] == "ok"


def test_parquet_schema_metadata_compression_and_row_groups():
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = b"".join(render(_dataset(rows=7, batch=3), "parquet"))
    meta = pq.ParquetFile(io.BytesIO(data))
    schema = meta.schema_arrow
    # Parquet has no second unit: pyarrow stores timestamp[s] as milliseconds, still UTC.
    assert pa.types.is_timestamp(schema.field("timestamp").type) and schema.field("timestamp").type.tz == "UTC"
    assert schema.field("power_watts").type == pa.float64()
    assert pa.types.is_dictionary(schema.field("cluster").type)
    assert schema.field("power_watts").metadata[b"unit"] == b"W"
    kv = meta.metadata.metadata
    assert json.loads(kv[b"kcloud.units"]) == {"power_watts": "W"}
    assert json.loads(kv[b"kcloud.parameters"])["step_seconds"] == 60
    assert json.loads(kv[b"kcloud.summary"])["rows"] == 7
    assert meta.metadata.num_row_groups == 3  # one per batch: bounded memory
    assert meta.metadata.row_group(0).column(3).compression == "ZSTD"


def test_xlsx_sheets_formats_freeze_and_chart():
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(b"".join(render(_dataset(), "xlsx"))))
    assert wb.sheetnames == ["Summary", "Data", "Chart"]
    data = wb["Data"]
    assert data.freeze_panes == "A2"
    assert data["A2"].number_format == "yyyy-mm-dd hh:mm:ss" and data["A2"].value == datetime(2026, 11, 1)
    assert data["D2"].number_format == '#,##0.0 "W"'
    assert data["A1"].font.b
    summary = list(wb["Summary"].iter_rows(values_only=True))
    assert any(row[0] == "total.mean_power_watts" and row[1] == 101.0 for row in summary)
    assert any(row[0] == "step_seconds" and row[1] == 60 for row in summary)
    assert len(wb["Chart"]._charts) == 1


def test_xlsx_continues_on_new_sheets_past_excels_row_limit(monkeypatch):
    from openpyxl import load_workbook

    from exports.writers import xlsxfile

    monkeypatch.setattr(xlsxfile, "MAX_SHEET_ROWS", 3)  # header + 2 rows per sheet
    wb = load_workbook(io.BytesIO(b"".join(render(_dataset(chart=False), "xlsx"))))
    assert wb.sheetnames == ["Summary", "Data", "Data 2", "Data 3"]
    _columns, rows = read("xlsx", b"".join(render(_dataset(chart=False), "xlsx")))
    assert len(rows) == 5


def test_progress_is_reported_per_batch():
    seen: list[int] = []
    data = _dataset(rows=5, batch=2)
    data.on_progress = seen.append
    b"".join(render(data, "csv"))
    assert seen == [2, 2, 1]


def test_filenames_are_safe_and_say_what_which_and_when():
    assert export_filename("energy", ["seoul-a"], START, END, "xlsx") == "kcloud-energy-seoul-a-20261101-20261108.xlsx"
    assert export_filename("power", [], START, END, "csv") == "kcloud-power-all-20261101-20261108.csv"
    odd = export_filename("power", ["a", "b"], datetime(2026, 11, 1, 9, 30, tzinfo=UTC), END, "csv")
    assert odd == "kcloud-power-a_b-20261101T0930Z-20261108.csv"
    assert export_filename("power", ["a", "b", "c", "d"], START, END, "csv").startswith("kcloud-power-4-clusters-")
    assert export_filename("power", ['x"; rm -rf /'], START, END, "csv").count('"') == 0
    assert content_disposition("kcloud-x.csv") == 'attachment; filename="kcloud-x.csv"'


def test_format_registry_and_validation():
    assert set(FORMATS) == {"json", "csv", "parquet", "xlsx", "pdf"}
    assert DATASET_FORMATS["report"] == ("pdf", "xlsx")
    assert "pdf" not in DATASET_FORMATS["power"]
    assert parse_format("power", None, default="json") == "json"
    with pytest.raises(BadParameter) as exc:
        parse_format("energy", "pdf")
    assert "json, csv, parquet, xlsx" in str(exc.value.detail)


def test_formats_endpoint(staff_api, db):
    body = staff_api.get("/api/v1/export/formats").json()
    by_name = {f["name"]: f for f in body["formats"]}
    assert by_name["parquet"]["content_type"] == "application/vnd.apache.parquet"
    assert by_name["pdf"]["datasets"] == ["report"]
    assert body["datasets"]["energy"] == ["json", "csv", "parquet", "xlsx"]


def test_formats_endpoint_needs_authentication(client, db):
    assert client.get("/api/v1/export/formats").status_code in (401, 403)


def test_openapi_schema_lists_the_exports(staff_api, db):
    response = staff_api.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    for name in ("power", "energy", "metrics", "formats"):
        assert f"/api/v1/export/{name}" in paths
    content = paths["/api/v1/export/energy"]["get"]["responses"]["200"]["content"]
    assert {"text/csv", "application/vnd.apache.parquet", "application/json"} <= set(content)


def test_downloads_stream_under_asgi_without_building_a_list():
    """Under ASGI Django would turn a sync iterator into a list; the download pulls chunk by chunk instead."""
    import asyncio

    from django.test import AsyncRequestFactory, RequestFactory

    from exports.streaming import download

    pulled: list[int] = []

    def chunks():
        for i in range(3):
            pulled.append(i)
            yield f"chunk{i}".encode()

    response = download(AsyncRequestFactory().get("/x"), chunks(), "kcloud-x.csv", "text/csv")
    assert response.is_async and response["Content-Disposition"] == 'attachment; filename="kcloud-x.csv"'

    async def first_then_rest():
        iterator = response.streaming_content.__aiter__()
        first = await iterator.__anext__()
        seen_after_first = list(pulled)
        rest = [part async for part in iterator]
        return first, seen_after_first, rest

    first, seen, rest = asyncio.run(first_then_rest())
    assert first == b"chunk0" and seen == [0]  # nothing was read ahead
    assert rest == [b"chunk1", b"chunk2"]
    assert not download(RequestFactory().get("/x"), iter([b"a"]), "f.csv", "text/csv").is_async
