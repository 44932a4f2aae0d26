"""Query parameters of the monitoring answers, parsed once for the JSON API, the pages and the exports.

Each parser takes a mapping of query parameters (a ``QueryDict`` or a plain
``dict`` from the CLI) and returns a validated query or raises ``BadParameter``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from kcloud.api.errors import BadParameter
from kcloud.api.params import TimeRange, parse_choice, parse_duration, parse_time_range
from monitoring.services import grouping, timeseries

MIN_WINDOW_SECONDS = 300  # increase() needs several 30 s samples
MIN_STEP_SECONDS = 30  # the clusters' scrape interval: a finer step only repeats samples
DEFAULT_WINDOW = "1h"


def parse_window(params: Mapping[str, str], *, default: str = DEFAULT_WINDOW) -> int:
    """``window`` in seconds (at least 5 minutes)."""
    return parse_duration("window", params.get("window"), default=default, minimum=MIN_WINDOW_SECONDS)


@dataclass(frozen=True)
class EnergyQuery:
    """``/monitoring/energy``: a window (``start``..``end``) and how to group it."""

    group_by: str
    idle: str
    start: datetime
    end: datetime

    @property
    def window_seconds(self) -> int:
        return int((self.end - self.start).total_seconds())


def parse_energy_query(params: Mapping[str, str]) -> EnergyQuery:
    """``group_by`` (default namespace), ``idle`` (default node), ``start``/``end`` (default the last 24 h)."""
    group_by = parse_choice("group_by", params.get("group_by"), grouping.GROUP_BYS, default="namespace")
    idle = parse_choice("idle", params.get("idle"), grouping.IDLE_MODES, default="node")
    span = parse_time_range(params, default_span=timedelta(hours=24))
    query = EnergyQuery(group_by, idle, span.start, span.end)
    if query.window_seconds < MIN_WINDOW_SECONDS:
        raise BadParameter("start", f"the window must be at least {MIN_WINDOW_SECONDS} s.")
    return query


@dataclass(frozen=True)
class SeriesQuery:
    """``/monitoring/timeseries/power``: a grouping and a step-aligned time range."""

    group_by: str
    span: TimeRange


def parse_series_query(params: Mapping[str, str]) -> SeriesQuery:
    """``group_by`` (default cluster), ``start``/``end``/``step`` (step chosen when absent, at most 11,000 points)."""
    group_by = parse_choice("group_by", params.get("group_by"), timeseries.GROUP_BYS, default="cluster")
    span = parse_time_range(params, default_span=timedelta(hours=24), min_step=MIN_STEP_SECONDS)
    return SeriesQuery(group_by, span)
