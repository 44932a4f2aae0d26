"""``/export/energy``: the chargeback table of ``/monitoring/energy`` (kWh by resource type, carbon, cost).

Columns are the JSON rows' fields, in the serializer's order, and only those the
group-by has (a namespace table has no ``pod`` column). The rows and totals come
from :func:`monitoring.services.answers.energy_table`, as for the JSON API.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from clusters.prometheus.fanout import outcomes
from clusters.retention import check_start
from exports.dataset import Batch, Column, Dataset, unit_of
from exports.datasets.common import span_parameters
from kcloud.timeutil import isoformat
from monitoring.api.serializers import EnergyRowSerializer
from monitoring.params import parse_energy_query
from monitoring.services import answers

_KINDS = {"idle": "bool", "pue": "float"}
_DESCRIPTIONS = {
    "idle": "A node's energy attributed to no pod (idle=node).",
    "energy_kwh": "IT energy: cpu + dram + gpu + npu.",
    "facility_energy_kwh": "energy_kwh x PUE.",
    "carbon_grams": "energy_kwh x PUE x the cluster's carbon intensity (gCO2e).",
    "cost": "energy_kwh x PUE x the cluster's electricity price, in `currency`.",
    "pue_source": "measured, configured or unavailable.",
}


def _column(name: str) -> Column:
    unit = unit_of(name)
    kind = _KINDS.get(name) or ("float" if unit or name == "cost" else "string")
    return Column(name, kind, unit, _DESCRIPTIONS.get(name, ""))  # type: ignore[arg-type]


def build(clusters: list, requested: list[str], params: Mapping[str, str]) -> Dataset:
    """Compute the energy table (as the JSON API does) and wrap it."""
    query = parse_energy_query(params)
    check_start(clusters, query.start)
    window, end = query.window_seconds, query.end.timestamp()
    table = answers.energy_table(clusters, end, window, query.group_by, query.idle)
    present = set().union(*(row.keys() for row in table.rows)) if table.rows else {"cluster", "idle"}
    names = [name for name in EnergyRowSerializer().fields if name in present]
    columns = [_column(name) for name in names]

    def batches() -> Iterator[Batch]:
        if table.rows:
            yield {name: [row.get(name) for row in table.rows] for name in names}

    summary = {
        "group_by": query.group_by,
        "idle": query.idle,
        "start": isoformat(query.start),
        "end": isoformat(query.end),
        "window_seconds": window,
        "rows": len(table.rows),
        # As the JSON API's ``totals`` (the window included).
        "totals": {
            **table.totals,
            "start": isoformat(query.start),
            "end": isoformat(query.end),
            "window_seconds": window,
        },
    }
    return Dataset(
        name="energy",
        title="Energy chargeback",
        columns=columns,
        batches=batches,
        summary=summary,
        parameters=span_parameters(
            query.start, query.end, group_by=query.group_by, idle=query.idle, cluster=requested or "all"
        ),
        clusters=outcomes(table.results),
        requested=requested,
        start=query.start,
        end=query.end,
        total_rows=len(table.rows),
    )
