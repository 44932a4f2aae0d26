"""Writers: a :class:`~exports.dataset.Dataset` → the bytes of a file, as an iterator of chunks.

Every writer yields chunks as it goes (CSV and JSON row batch by row batch,
Parquet row group by row group; Excel once its zip is complete, from a spooled
temporary file), so the HTTP response streams them and the CLI writes them to
its output: the same bytes either way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from exports.dataset import Dataset


def writer_for(fmt: str) -> Callable[[Dataset], Iterator[bytes]]:
    """The writer of a data format (json, csv, parquet, xlsx)."""
    if fmt == "csv":
        from exports.writers.csvfile import write_csv

        return write_csv
    if fmt == "json":
        from exports.writers.jsonfile import write_json

        return write_json
    if fmt == "parquet":
        from exports.writers.parquetfile import write_parquet

        return write_parquet
    if fmt == "xlsx":
        from exports.writers.xlsxfile import write_xlsx

        return write_xlsx
    raise ValueError(f"no writer for {fmt!r}")  # formats are validated before: this is a bug


UTF8_BOM = b"\xef\xbb\xbf"


def render(dataset: Dataset, fmt: str, *, bom: bool = False) -> Iterator[bytes]:
    """The file's bytes, chunk by chunk; ``bom``: a CSV starts with the UTF-8 byte-order mark.

    Excel opens a CSV without one in the system's legacy code page, which garbles Korean
    names; other formats carry their encoding and ignore ``bom``.
    """
    chunks = writer_for(fmt)(dataset)
    return prepend(UTF8_BOM, chunks) if bom and fmt == "csv" else chunks


def prepend(first: bytes, chunks: Iterator[bytes]) -> Iterator[bytes]:
    """``first``, then ``chunks``; a generator, so closing it closes the writer too."""
    yield first
    yield from chunks
