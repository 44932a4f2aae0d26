"""The file-name time stamps exports promise (exports/filenames.py), written from the rule, not the code."""

from __future__ import annotations

from datetime import UTC, datetime


def stamp(ts: float) -> str:
    """A day's start is the date alone (``20261101``), any other instant date and UTC time (``20261101T1530Z``)."""
    moment = datetime.fromtimestamp(ts, UTC)
    return moment.strftime("%Y%m%d" if moment.strftime("%H%M%S") == "000000" else "%Y%m%dT%H%MZ")
