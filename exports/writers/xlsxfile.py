"""Excel (openpyxl, write-only): a summary sheet, data sheets, a chart sheet for power series.

* ``Summary``: title, the query, per-cluster outcomes and the dataset's summary
  (scalars as key/value rows, lists of records as small tables), written last
  because a lazily fetched dataset completes it while its rows are written;
* ``Data`` (``Data 2``, ... beyond Excel's 1,048,576 rows per sheet): header row
  frozen, timestamps as Excel dates in UTC, numbers with their unit in the number
  format (``0.000 "kWh"``);
* ``Chart`` (power): a wide table (timestamp, total, the largest series) and a
  native Excel line chart over it.

Write-only worksheets stream their rows to temporary files; the workbook is then
zipped into a spooled temporary file and handed on in chunks.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import LineChart, Reference
from openpyxl.chart.axis import DateAxis
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from exports.dataset import Chart, Column, Dataset, unit_of

MAX_SHEET_ROWS = 1_048_576  # Excel's limit, header included
DATE_FORMAT = "yyyy-mm-dd hh:mm:ss"
CHUNK = 1 << 20
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="1F3A5F")
_TITLE_FONT = Font(bold=True, size=14)
_BOLD = Font(bold=True)


def number_format(column: Column) -> str | None:
    """A number format showing the unit (``#,##0.000 "kWh"``); dates as UTC dates."""
    if column.kind == "timestamp":
        return DATE_FORMAT
    if column.kind != "float":
        return None
    if column.unit in (None, ""):
        return "#,##0.000"
    one_decimal = ("W", "watts", "°C", "celsius", "%", "percent", "MHz", "MB", "MiB", "gCO2e")
    decimals = "0.0" if column.unit in one_decimal else "0.000"
    return f'#,##0{decimals[1:]} "{column.unit}"'


def excel_time(ts: float | None) -> datetime | None:
    """Excel has no time zones: a naive datetime holding UTC (the sheets say so)."""
    return None if ts is None else datetime.fromtimestamp(ts, tz=UTC).replace(tzinfo=None)


def _header(ws, names: list[str]) -> None:
    cells = []
    for name in names:
        cell = WriteOnlyCell(ws, value=name)
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        cells.append(cell)
    ws.append(cells)


class _DataSheets:
    """Data sheets in write-only mode, a new one each time Excel's row limit is reached."""

    def __init__(self, wb: Workbook, columns: list[Column]):
        self.wb, self.columns = wb, columns
        self.sheets = 0
        self.rows_left = 0
        self.ws = None
        # One styled template cell per column; data cells share its style (see write()).
        self.formats = [number_format(c) for c in columns]

    def _new_sheet(self) -> None:
        self.sheets += 1
        self.ws = self.wb.create_sheet("Data" if self.sheets == 1 else f"Data {self.sheets}")
        self.ws.freeze_panes = "A2"
        for index, column in enumerate(self.columns, 1):
            width = 20 if column.kind == "timestamp" else max(12, min(40, len(column.name) + 4))
            self.ws.column_dimensions[get_column_letter(index)].width = width
        _header(self.ws, [c.name for c in self.columns])
        self.cells = []
        for fmt in self.formats:
            cell = WriteOnlyCell(self.ws)
            if fmt:
                cell.number_format = fmt
            self.cells.append(cell if fmt else None)
        self.rows_left = MAX_SHEET_ROWS - 1

    def write(self, rows) -> None:
        cells, ws = None, None
        for row in rows:
            if self.rows_left == 0:
                self._new_sheet()
                cells, ws = None, None
            if ws is None:
                ws, cells = self.ws, self.cells
            out = []
            for value, cell in zip(row, cells, strict=True):
                if cell is None or value is None:
                    out.append(value)
                else:
                    fresh = WriteOnlyCell(ws, value=value)
                    # The column's style array as is (openpyxl 3.1, pinned): registering the
                    # number format again for each cell would cost more than writing it.
                    fresh._style = cell._style
                    out.append(fresh)
            ws.append(out)
            self.rows_left -= 1

    def finish(self) -> None:
        if self.sheets == 0:
            self._new_sheet()


def _scalar(value) -> object:
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)


def _write_summary(ws, dataset: Dataset, data_sheets: int) -> None:
    ws.column_dimensions["A"].width = 34
    for letter in "BCDEFGH":
        ws.column_dimensions[letter].width = 22
    title = WriteOnlyCell(ws, value=f"KCloud Monitor — {dataset.title}")
    title.font = _TITLE_FONT
    ws.append([title])
    ws.append(["All times are UTC. Units are in the column names and number formats."])
    ws.append([])
    tables: list[tuple[str, list[dict]]] = [("Clusters", dataset.clusters)]
    ws.append([_bold(ws, "Query")])
    for key, value in dataset.parameters.items():
        ws.append([key, _scalar(", ".join(value) if isinstance(value, list) else value)])
    ws.append(["data sheets", data_sheets])
    ws.append([])
    ws.append([_bold(ws, "Summary")])
    for key, value in dataset.summary.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            tables.append((key, value))
        elif isinstance(value, dict):
            for inner, v in value.items():
                if isinstance(v, list):
                    ws.append([f"{key}.{inner}", _scalar(", ".join(map(str, v)))])
                else:
                    ws.append([f"{key}.{inner}", _cell(ws, inner, v)])
        elif isinstance(value, list):
            ws.append([key, ", ".join(map(str, value))])
        else:
            ws.append([key, _cell(ws, key, value)])
    for title, records in tables:
        ws.append([])
        ws.append([_bold(ws, title)])
        if not records:
            ws.append(["(none)"])
            continue
        names = list(dict.fromkeys(k for r in records for k in r))
        _header(ws, names)
        for record in records:
            ws.append([_cell(ws, k, record.get(k)) for k in names])


def _bold(ws, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=text)
    cell.font = _BOLD
    return cell


def _cell(ws, name: str, value) -> object:
    """A summary value, with the unit its name carries in the number format."""
    value = _scalar(value)
    if isinstance(value, float):
        fmt = number_format(Column(name, "float", unit_of(name)))
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = fmt
        return cell
    return value


def _write_chart(wb: Workbook, chart: Chart) -> None:
    ws = wb.create_sheet("Chart")
    ws.freeze_panes = "A2"
    ws.column_dimensions["A"].width = 20
    _header(ws, chart.columns)
    date_cell = WriteOnlyCell(ws)
    date_cell.number_format = DATE_FORMAT
    for row in chart.rows:
        stamp = WriteOnlyCell(ws, value=excel_time(row[0]))
        stamp._style = date_cell._style
        ws.append([stamp, *row[1:]])
    rows = len(chart.rows)
    line = LineChart()
    line.title = chart.title
    line.height, line.width = 10, 24
    line.y_axis.title = chart.y_title
    line.y_axis.number_format = "#,##0"
    line.x_axis = DateAxis(crossAx=100)  # the value axis' id
    line.y_axis.crossAx = 500  # the date axis' id (openpyxl's defaults assume a text axis, id 10)
    line.x_axis.number_format = "mm-dd hh:mm"
    line.x_axis.majorTimeUnit = "days"
    line.x_axis.title = "time (UTC)"
    # openpyxl 3.1 leaves axes marked deleted unless told: Excel would draw the chart without them.
    line.x_axis.delete = False
    line.y_axis.delete = False
    data = Reference(ws, min_col=2, max_col=len(chart.columns), min_row=1, max_row=rows + 1)
    line.add_data(data, titles_from_data=True)
    line.set_categories(Reference(ws, min_col=1, min_row=2, max_row=rows + 1))
    for series in line.series:
        series.smooth = False
        series.marker.symbol = "none"
    # Below the header, right of the table, where it is visible on opening.
    ws.add_chart(line, f"{get_column_letter(len(chart.columns) + 2)}2")


def write_xlsx(dataset: Dataset) -> Iterator[bytes]:
    """Build the workbook in write-only mode and stream the file."""
    try:
        yield from _write_xlsx(dataset)
    except Exception as exc:
        translated = _as_os_error(exc)
        if translated is None:
            raise
        raise translated from exc


def _as_os_error(exc: Exception) -> OSError | None:
    """The OSError behind lxml's ``SerialisationError('IO_ENOSPC')`` (openpyxl writes sheets with lxml).

    A full or read-only temp dir must read as what it is (the API answers 507), not as a bug.
    """
    if isinstance(exc, OSError) or not str(exc).startswith("IO_"):
        return None
    code = getattr(errno, str(exc).removeprefix("IO_"), None)
    return OSError(code, os.strerror(code)) if isinstance(code, int) else None


def _write_xlsx(dataset: Dataset) -> Iterator[bytes]:
    wb = Workbook(write_only=True)
    summary = wb.create_sheet("Summary")
    data = _DataSheets(wb, dataset.columns)
    kinds = [c.kind for c in dataset.columns]
    names = dataset.column_names()
    for batch in dataset.iter_batches():
        columns = []
        for name, kind in zip(names, kinds, strict=True):
            values = batch[name]
            columns.append([excel_time(v) for v in values] if kind == "timestamp" else values)
        data.write(zip(*columns, strict=True))
    data.finish()
    if dataset.chart is not None and dataset.chart.rows:
        _write_chart(wb, dataset.chart)
    _write_summary(summary, dataset, data.sheets)
    with tempfile.SpooledTemporaryFile(max_size=16 * CHUNK) as out:
        wb.save(out)
        out.seek(0)
        while chunk := out.read(CHUNK):
            yield chunk
