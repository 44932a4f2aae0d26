"""Parquet (pyarrow): typed schema, dictionary-encoded strings, zstd, one row group per batch.

* ``timestamp`` → ``timestamp[s, tz=UTC]``, numbers → ``float64``, flags → ``bool``,
  text → ``dictionary<int32, string>`` (cluster/node names repeat on every row);
* each field's unit and description are in its field metadata (``unit``,
  ``description``); the file's key-value metadata holds ``kcloud.dataset``,
  ``kcloud.parameters`` (the query as understood), ``kcloud.units``,
  ``kcloud.clusters`` (per-cluster outcomes) and, in the footer, ``kcloud.summary``;
* written row group by row group into a sink that hands its bytes on at once, so
  neither the table nor the file is ever whole in memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from exports.dataset import Column, Dataset

COMPRESSION = "zstd"
_TYPES = {
    "timestamp": pa.timestamp("s", tz="UTC"),
    "float": pa.float64(),
    "int": pa.int64(),
    "bool": pa.bool_(),
    "string": pa.dictionary(pa.int32(), pa.string()),
}


class _Sink:
    """A write-only file object that keeps what was written until :meth:`take`."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._position = 0
        self.closed = False

    def write(self, data) -> int:
        chunk = bytes(data)
        self._chunks.append(chunk)
        self._position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        pass

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        self.closed = True

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def _field(column: Column) -> pa.Field:
    meta = {"unit": column.unit or "", "description": column.description}
    return pa.field(column.name, _TYPES[column.kind], nullable=True, metadata=meta)


def schema_of(dataset: Dataset) -> pa.Schema:
    metadata = {
        "kcloud.dataset": dataset.name,
        "kcloud.title": dataset.title,
        "kcloud.parameters": json.dumps(dataset.parameters),
        "kcloud.units": json.dumps(dataset.units()),
        "kcloud.clusters": json.dumps(dataset.clusters),
    }
    return pa.schema([_field(c) for c in dataset.columns], metadata=metadata)


def _array(column: Column, values: list) -> pa.Array:
    if column.kind == "string":
        return pa.array(values, type=pa.string()).dictionary_encode()
    return pa.array(values, type=_TYPES[column.kind])


def write_parquet(dataset: Dataset) -> Iterator[bytes]:
    """Stream ``dataset`` as a Parquet file."""
    schema = schema_of(dataset)
    sink = _Sink()
    writer = pq.ParquetWriter(sink, schema, compression=COMPRESSION, use_dictionary=True)
    try:
        for batch in dataset.iter_batches():
            arrays = [_array(c, batch[c.name]) for c in dataset.columns]
            writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=schema))
            data = sink.take()
            if data:
                yield data
        # Known only once the rows are out (a lazily fetched dataset completes its summary).
        writer.add_key_value_metadata({"kcloud.summary": json.dumps(dataset.summary, default=str)})
    finally:
        writer.close()
    yield sink.take()
