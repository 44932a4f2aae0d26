"""How IPMI sensors are shown (node detail and hardware pages): value in its unit and precision, state.

The rows carry raw values; the templates print them (``num``: "—" for a NaN reading).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext_lazy as _

from hardware.services import SENSOR_TYPES, SEVERITY, NodeIpmi, Sensor

# exporter unit -> (printed unit, digits, factor)
UNITS: dict[str | None, tuple[str, int, float]] = {
    "celsius": ("°C", 0, 1.0),
    "rpm": ("RPM", 0, 1.0),
    "ratio": ("%", 0, 100.0),  # duty-cycle fans: a 0-1 ratio reads better as a percentage
    "volts": ("V", 2, 1.0),
    "amperes": ("A", 1, 1.0),
    "watts": ("W", 0, 1.0),
    None: ("", 2, 1.0),
}
MAIN_UNITS = {"temperature": "°C", "fan": "RPM", "voltage": "V", "current": "A", "power": "W"}
TYPE_TITLES = {
    "temperature": _("Temperature (°C)"),
    "fan": _("Fans (RPM; duty cycle in %)"),
    "voltage": _("Voltage (V)"),
    "current": _("Current (A)"),
    "power": _("Power (W)"),
    "other": _("Other sensors (discrete; the state is the reading)"),
}
# The words shown for sensor states and types (the values stay in CSS classes, data-* and the filters' GET).
STATE_LABELS = {"ok": _("ok"), "warning": _("warning"), "critical": _("critical"), "unknown": _("unknown")}
TYPE_LABELS = {
    "temperature": _("temperature"),
    "fan": _("fan"),
    "voltage": _("voltage"),
    "current": _("current"),
    "power": _("power"),
    "other": _("other"),
}


def state_label(state: str | None):
    """The word shown for a sensor state (a state without one is shown as it is)."""
    return STATE_LABELS.get(state, state) if state is not None else state


def reading(sensor: Sensor) -> dict:
    """``value`` in the printed ``unit`` and the ``digits`` to print it with; None when the exporter reported NaN."""
    unit, digits, factor = UNITS.get(sensor.unit, UNITS[None])
    return {"value": None if sensor.value is None else sensor.value * factor, "unit": unit, "digits": digits}


def unit_of(sensor: Sensor) -> str:
    return UNITS.get(sensor.unit, UNITS[None])[0]


def sensor_rows(sensors: Sequence[Sensor]) -> list[dict]:
    """One node's sensors in type order (temperature, fan, ...), then by id."""
    order = {t: i for i, t in enumerate(SENSOR_TYPES)}
    rows = [
        {
            "id": s.id,
            "name": s.name,
            "type": s.type,
            "sensor_type": s.sensor_type,
            "state": s.state,
            **reading(s),
        }
        for s in sensors
    ]
    return sorted(rows, key=lambda r: order.get(r["type"], len(order)))  # stable: ids stay in order


def type_tables(entries: Sequence[NodeIpmi], node_urls: dict[tuple[str, str], str]) -> list[dict]:
    """Per sensor type, a node x sensor grid: one row per node, one column per sensor name.

    Columns are the union of the nodes' sensor names in id order; a node without
    that sensor shows "—". Rows keep the order of ``entries`` (worst nodes first).
    """
    tables = []
    for kind in SENSOR_TYPES:
        columns: dict[str, tuple] = {}
        units: dict[str, str] = {}
        for e in entries:
            for s in e.sensors:
                if s.type == kind and s.name not in columns:
                    columns[s.name] = _id_key(s.id)
                    units[s.name] = unit_of(s)
        if not columns:
            continue
        names = sorted(columns, key=lambda n: (columns[n], n))
        # A column whose unit differs from the table's (a duty-cycle fan among RPM fans) names it.
        headers = [
            {"name": n, "unit": units[n] if units[n] and units[n] != MAIN_UNITS.get(kind) else ""} for n in names
        ]
        rows = []
        for e in entries:
            by_name = {s.name: s for s in e.sensors if s.type == kind}
            if not by_name:
                continue
            cells = []
            for name in names:
                s = by_name.get(name)
                if s is None:
                    cells.append({"missing": True})
                else:
                    cells.append(
                        {"state": s.state, "state_label": state_label(s.state), "id": s.id, "name": name, **reading(s)}
                    )
            worst = max((s.state for s in by_name.values()), key=SEVERITY.__getitem__)
            rows.append(
                {
                    "node": e.node,
                    "cluster": e.cluster,
                    "url": node_urls.get((e.cluster, e.node)),
                    "worst": worst,
                    "cells": cells,
                }
            )
        tables.append({"type": kind, "title": TYPE_TITLES[kind], "columns": headers, "rows": rows})
    return tables


def _id_key(sensor_id: str) -> tuple:
    return (0, int(sensor_id), "") if sensor_id.isdigit() else (1, 0, sensor_id)


__all__ = ["STATE_LABELS", "TYPE_LABELS", "reading", "sensor_rows", "state_label", "type_tables"]
