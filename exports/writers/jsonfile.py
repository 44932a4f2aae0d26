"""JSON: ``{dataset, title, parameters, columns, clusters, rows: [{...}], summary}``, streamed batch by batch.

The summary comes after the rows because a lazily fetched dataset (metrics)
completes it while its rows are written. Rows are encoded column by column
(each distinct name or instant once per batch), giving the text ``json.dumps``
would give for each row object, several times faster.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from exports.dataset import Column, Dataset
from exports.writers.timestamps import IsoCache


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=str)


def _fields(column: Column, values: list, iso: IsoCache) -> list[str]:
    """``"name":value`` fragments of one column of a batch."""
    key = _dumps(column.name) + ":"
    if column.kind == "float":
        null, rep = key + "null", float.__repr__
        return [null if v is None else key + rep(float(v)) for v in values]
    cache: dict = {}
    out = []
    for v in values:
        field = cache.get(v)
        if field is None:
            shown = iso(v) if column.kind == "timestamp" else v
            field = cache[v] = key + _dumps(shown)
        out.append(field)
    return out


def write_json(dataset: Dataset) -> Iterator[bytes]:
    """Stream ``dataset`` as one JSON document (UTF-8)."""
    head = {
        "dataset": dataset.name,
        "title": dataset.title,
        "parameters": dataset.parameters,
        "columns": [{"name": c.name, "type": c.kind, "unit": c.unit} for c in dataset.columns],
        "clusters": dataset.clusters,
    }
    yield (_dumps(head)[:-1] + ',"rows":[').encode("utf-8")
    iso = IsoCache()
    first = True
    for batch in dataset.iter_batches():
        fields = [_fields(c, batch[c.name], iso) for c in dataset.columns]
        rows = "},{".join(map(",".join, zip(*fields, strict=True)))
        if rows:
            yield (("{" if first else ",{") + rows + "}").encode("utf-8")
            first = False
    yield ('],"summary":' + _dumps(dataset.summary) + "}").encode("utf-8")
