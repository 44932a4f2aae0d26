"""The report's window: a named period resolved to whole UTC days, or a custom ``start``/``end``.

* ``daily``   = the previous full UTC day (yesterday 00:00 → today 00:00);
* ``weekly``  = the previous full ISO week (Monday 00:00 → Monday 00:00);
* ``monthly`` = the previous full calendar month;
* ``custom``  = ``start`` and ``end`` as given, validated and aligned exactly as
  ``/monitoring/energy`` aligns them (:func:`kcloud.api.params.parse_time_range`),
  so the report and the JSON API answer for the same window.

Named periods refuse ``start``/``end`` (silently ignoring them would hand out a
different window than the caller asked for).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kcloud.api.errors import BadParameter
from kcloud.api.params import parse_time, parse_time_range
from kcloud.timeutil import isoformat, utcnow

PERIODS = ("daily", "weekly", "monthly", "custom")
# increase() needs several 30 s samples; the energy API refuses shorter windows too.
MIN_WINDOW_SECONDS = 300
PERIOD_LABELS = {"daily": _("Daily"), "weekly": _("Weekly"), "monthly": _("Monthly"), "custom": _("Custom")}


@dataclass(frozen=True)
class Window:
    """A resolved report window (UTC, ``start`` included, ``end`` excluded)."""

    period: str
    start: datetime
    end: datetime

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds())

    @property
    def label(self) -> str:
        """``"Weekly report, 2026-W47"``-style heading of the window, in the active language."""
        if self.period == "daily":
            return gettext("Daily report, %(date)s") % {"date": f"{self.start:%Y-%m-%d}"}
        if self.period == "weekly":
            year, week, _weekday = self.start.isocalendar()
            # Translators: %(week)s is the ISO week, e.g. 2026-W47.
            return gettext("Weekly report, %(week)s") % {"week": f"{year}-W{week:02d}"}
        if self.period == "monthly":
            # The month in the language's own words: "December 2026", "2026년 12월".
            month = formats.date_format(self.start, "YEAR_MONTH_FORMAT")
            return gettext("Monthly report, %(month)s") % {"month": month}
        return gettext("Custom period report")


def _as_text(value: datetime | str | None) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return isoformat(value if value.tzinfo else value.replace(tzinfo=UTC))
    return str(value)


def _midnight(moment: datetime) -> datetime:
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)


def resolve_window(
    period: str | None,
    start: datetime | str | None = None,
    end: datetime | str | None = None,
    *,
    now: datetime | None = None,
) -> Window:
    """Validate ``period``/``start``/``end`` into a :class:`Window` (400 naming the parameter otherwise)."""
    now = (now or utcnow()).astimezone(UTC)
    if period is None or period == "":
        raise BadParameter("period", f"is required; one of {', '.join(PERIODS)}.")
    if period not in PERIODS:
        raise BadParameter("period", f"{period!r} is not one of {', '.join(PERIODS)}.")
    start_text, end_text = _as_text(start), _as_text(end)
    if period != "custom":
        for name, value in (("start", start_text), ("end", end_text)):
            if value is not None:
                raise BadParameter(name, f"is only accepted with period=custom (period={period} sets the window).")
    today = _midnight(now)
    if period == "daily":
        return Window(period, today - timedelta(days=1), today)
    if period == "weekly":
        this_monday = today - timedelta(days=today.weekday())
        return Window(period, this_monday - timedelta(days=7), this_monday)
    if period == "monthly":
        first = today.replace(day=1)
        previous = (first - timedelta(days=1)).replace(day=1)
        return Window(period, previous, first)
    if start_text is None:
        raise BadParameter("start", "is required with period=custom.")
    if end_text is None:
        raise BadParameter("end", "is required with period=custom.")
    # Parse each first so a malformed value names its own parameter.
    parse_time("start", start_text)
    parse_time("end", end_text)
    span = parse_time_range({"start": start_text, "end": end_text}, now=now)
    window = Window(period, span.start, span.end)
    if window.seconds < MIN_WINDOW_SECONDS:
        raise BadParameter("start", f"the window must be at least {MIN_WINDOW_SECONDS} s.")
    return window
