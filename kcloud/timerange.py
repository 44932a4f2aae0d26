"""The pages' one time range: a preset or a custom UTC from/to, read from the URL.

Every page that shows history reads the same three query parameters, so a view can be
shared as a link and the range follows the user from page to page (the navigation and
the pages' links carry ``query``):

- ``range``: ``1h``, ``6h``, ``24h`` (the default), ``7d``, ``30d``, ``this-month``, ``last-month``;
- ``from`` / ``to``: a custom window in UTC (``2026-11-30T08:00``, what an ``<input
  type="datetime-local">`` sends, or ISO 8601 with ``Z``); ``to`` defaults to now.

Ends are cut to the minute so that two people opening the same view within a minute ask
Prometheus the same question (the adapter's cache keys on aligned times). A bad value
never breaks a page: the default range is used and ``error`` says what was wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kcloud.api.errors import BadParameter
from kcloud.api.params import MAX_WINDOW, parse_time
from kcloud.timeutil import isoformat, utcnow

PARAMS = ("range", "from", "to")
DEFAULT = "24h"
CUSTOM = "custom"
# The shortest custom window: two scrape intervals give no rate, five minutes do.
MIN_SPAN = timedelta(minutes=5)
ROLLING = {
    "1h": timedelta(hours=1),
    "6h": timedelta(hours=6),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
PRESETS = (
    ("1h", gettext_lazy("1 h")),
    ("6h", gettext_lazy("6 h")),
    ("24h", gettext_lazy("24 h")),
    ("7d", gettext_lazy("7 d")),
    ("30d", gettext_lazy("30 d")),
    ("this-month", gettext_lazy("This month")),
    ("last-month", gettext_lazy("Last month")),
)
INPUT_FORMAT = "%Y-%m-%dT%H:%M"


@dataclass(frozen=True)
class PageRange:
    """A validated ``[start, end)`` in UTC, and how the user chose it."""

    preset: str  # one of PRESETS' keys, or CUSTOM
    start: datetime
    end: datetime
    explicit: bool = False  # chosen in the URL (carried to other pages) rather than the default
    error: str = ""

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds())

    @property
    def ends_now(self) -> bool:
        """A rolling range (the last 24 h, this month): its answers are "now" answers."""
        return self.preset in ROLLING or self.preset == "this-month"

    def evaluation_instant(self, now: float) -> float:
        """Where "power now" and windows ending now are evaluated: ``now`` for a rolling range, else its end."""
        return now if self.ends_now else self.end.timestamp()

    @property
    def params(self) -> list[tuple[str, str]]:
        """The query parameters that name this range (empty for the default)."""
        if not self.explicit:
            return []
        if self.preset == CUSTOM:
            return [("from", self.start.strftime(INPUT_FORMAT)), ("to", self.end.strftime(INPUT_FORMAT))]
        return [("range", self.preset)]

    @property
    def query(self) -> str:
        return urlencode(self.params)

    @property
    def api_params(self) -> list[tuple[str, str]]:
        """``start``/``end`` for the JSON API (ISO 8601 UTC)."""
        return [("start", isoformat(self.start)), ("end", isoformat(self.end))]

    @property
    def label(self) -> str:
        """ "24 h", "Last month" or "2026-11-30 08:00 → 2026-11-30 20:00 UTC"."""
        if self.preset == CUSTOM:
            return f"{self.start:%Y-%m-%d %H:%M} → {self.end:%Y-%m-%d %H:%M} UTC"
        return str(dict(PRESETS)[self.preset])

    @property
    def from_input(self) -> str:
        return self.start.strftime(INPUT_FORMAT)

    @property
    def to_input(self) -> str:
        return self.end.strftime(INPUT_FORMAT)


def _minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def _month_start(at: datetime) -> datetime:
    return at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def preset_range(preset: str, now: datetime, *, explicit: bool = True) -> PageRange:
    """The window a preset names at ``now`` (rolling ones end at the current minute)."""
    end = _minute(now)
    if preset in ROLLING:
        return PageRange(preset, end - ROLLING[preset], end, explicit)
    this_month = _month_start(now)
    if preset == "this-month":
        # On the 1st at 00:00 the month is still empty: show its first minute rather than nothing.
        return PageRange(preset, this_month, max(end, this_month + timedelta(minutes=1)), explicit)
    if preset == "last-month":
        return PageRange(preset, _month_start(this_month - timedelta(days=1)), this_month, explicit)
    raise BadParameter("range", _("%(value)r is not one of the presets.") % {"value": preset})


def _custom(raw_from: str, raw_to: str, now: datetime) -> PageRange:
    start = _minute(parse_time("from", raw_from))
    end = _minute(parse_time("to", raw_to, default=now))
    if end > now + timedelta(minutes=1):
        end = _minute(now)
    if end - start < MIN_SPAN:
        raise BadParameter("from", _("the range must span at least 5 minutes and end after it starts."))
    if end - start > MAX_WINDOW:
        raise BadParameter("from", _("the range may span at most %(days)s days.") % {"days": MAX_WINDOW.days})
    return PageRange(CUSTOM, start, end, True)


def page_range(params, now: datetime | None = None) -> PageRange:
    """The range named by ``range`` or ``from``/``to`` in ``params`` (a QueryDict); the default otherwise."""
    now = now or utcnow()
    try:
        if params.get("from"):
            return _custom(params["from"], params.get("to") or "", now)
        if params.get("range"):
            return preset_range(params["range"], now)
    except BadParameter as exc:
        fallback = preset_range(DEFAULT, now, explicit=False)
        return PageRange(fallback.preset, fallback.start, fallback.end, False, str(exc.detail))
    return preset_range(DEFAULT, now, explicit=False)


def with_range(url: str, time_range: PageRange) -> str:
    """``url`` carrying the range (for links to other pages that show history)."""
    query = time_range.query
    if not query:
        return url
    return f"{url}{'&' if '?' in url else '?'}{query}"


def for_request(request) -> PageRange:
    """The request's range, parsed once (the view and the template context share it)."""
    cached = getattr(request, "_kcloud_time_range", None)
    if cached is None:
        cached = page_range(request.GET)
        request._kcloud_time_range = cached
    return cached


# Not kept when the range changes: the range itself, and the page number of a list
# (page 7 of another window is not a place anyone meant to go).
_NOT_KEPT = (*PARAMS, "page")


def kept_params(request) -> list[tuple[str, str]]:
    """The page's other query parameters (filters, grouping): a range change keeps them."""
    return [(key, value) for key, values in request.GET.lists() if key not in _NOT_KEPT for value in values]


def preset_links(request, current: PageRange) -> list[dict]:
    """One link per preset to this page with that preset and the page's other parameters."""
    keep = kept_params(request)
    return [
        {
            "key": key,
            "label": label,
            "href": f"{request.path}?{urlencode([*keep, ('range', key)])}",
            "active": current.preset == key,
        }
        for key, label in PRESETS
    ]


def window_params(time_range: PageRange) -> list[tuple[str, str]]:
    """``window``/``time`` for the API answers that integrate over a window ending at an instant."""
    return [("window", f"{time_range.seconds}s"), ("time", str(int(time_range.end.timestamp())))]
