"""The pages' one time range: presets, custom from/to, bad input, and how it travels in links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.http import QueryDict
from django.test import RequestFactory

from kcloud import timerange

NOW = datetime(2026, 12, 2, 11, 47, 31, tzinfo=UTC)


def _range(query: str, now: datetime = NOW) -> timerange.PageRange:
    return timerange.page_range(QueryDict(query), now=now)


@pytest.mark.parametrize(("preset", "hours"), [("1h", 1), ("6h", 6), ("24h", 24), ("7d", 7 * 24), ("30d", 30 * 24)])
def test_rolling_presets_end_at_the_current_minute(preset, hours):
    r = _range(f"range={preset}")
    assert r.end == datetime(2026, 12, 2, 11, 47, tzinfo=UTC)  # seconds cut: shared cache keys
    assert r.end - r.start == timedelta(hours=hours)
    assert r.ends_now and r.explicit and r.params == [("range", preset)]


def test_calendar_months_are_whole_utc_months():
    this = _range("range=this-month")
    assert (this.start, this.end) == (datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 2, 11, 47, tzinfo=UTC))
    assert this.ends_now
    last = _range("range=last-month")
    assert (last.start, last.end) == (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    assert not last.ends_now and last.seconds == 30 * 86400
    # January's last month is December of the year before.
    january = _range("range=last-month", datetime(2027, 1, 15, 3, 0, tzinfo=UTC))
    assert (january.start, january.end) == (datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


def test_this_month_on_its_first_minute_is_not_empty():
    r = _range("range=this-month", datetime(2026, 12, 1, 0, 0, 10, tzinfo=UTC))
    assert r.end - r.start == timedelta(minutes=1)


def test_custom_from_to_in_utc_as_the_inputs_send_it():
    r = _range("from=2026-11-30T08:00&to=2026-11-30T20:30")
    assert (r.start, r.end) == (datetime(2026, 11, 30, 8, tzinfo=UTC), datetime(2026, 11, 30, 20, 30, tzinfo=UTC))
    assert r.preset == "custom" and not r.ends_now
    assert r.params == [("from", "2026-11-30T08:00"), ("to", "2026-11-30T20:30")]
    assert r.label == "2026-11-30 08:00 → 2026-11-30 20:30 UTC"
    assert r.api_params == [("start", "2026-11-30T08:00:00Z"), ("end", "2026-11-30T20:30:00Z")]
    # ISO 8601 with an offset is converted to UTC; "to" absent means now; a future "to" is cut at now.
    assert _range("from=2026-11-30T17:00%2B09:00&to=2026-11-30T18:00Z").start == datetime(2026, 11, 30, 8, tzinfo=UTC)
    assert _range("from=2026-12-02T10:00").end == datetime(2026, 12, 2, 11, 47, tzinfo=UTC)
    assert _range("from=2026-12-02T10:00&to=2027-01-01T00:00").end == datetime(2026, 12, 2, 11, 47, tzinfo=UTC)


def test_a_custom_range_wins_over_a_preset():
    assert _range("range=7d&from=2026-11-30T08:00&to=2026-11-30T09:00").preset == "custom"


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("range=2y", "range"),
        ("range=<script>", "range"),
        ("from=yesterday", "from"),
        ("from=2026-11-30T08:00&to=noon", "to"),
        ("from=2026-11-30T08:00&to=2026-11-30T07:00", "from"),  # ends before it starts
        ("from=2026-11-30T08:00&to=2026-11-30T08:04", "from"),  # shorter than 5 minutes
        ("from=2020-01-01T00:00&to=2026-11-30T00:00", "from"),  # longer than Prometheus keeps anything
    ],
)
def test_bad_input_falls_back_to_the_default_and_says_why(query, parameter):
    r = _range(query)
    assert r.error.startswith(f"{parameter}:")
    assert (r.preset, r.explicit, r.seconds) == ("24h", False, 86400)
    assert r.params == []  # nothing wrong is carried to the next page


def test_the_default_is_the_last_24_hours_and_is_not_carried():
    r = _range("")
    assert (r.preset, r.seconds, r.explicit, r.error, r.query) == ("24h", 86400, False, "", "")
    assert timerange.with_range("/clusters/", r) == "/clusters/"


def test_links_carry_the_range_and_keep_the_other_parameters():
    r = _range("range=7d")
    assert timerange.with_range("/monitoring/", r) == "/monitoring/?range=7d"
    assert timerange.with_range("/infrastructure/pods/?cluster=a", r) == "/infrastructure/pods/?cluster=a&range=7d"
    request = RequestFactory().get("/monitoring/breakdown/", {"by": "namespace", "cluster": ["a", "b"], "page": 3})
    request.GET = QueryDict("by=namespace&cluster=a&cluster=b&page=3&range=7d")
    assert timerange.kept_params(request) == [("by", "namespace"), ("cluster", "a"), ("cluster", "b")]
    links = timerange.preset_links(request, r)
    week = next(link for link in links if link["key"] == "7d")
    assert week["active"] and week["href"] == "/monitoring/breakdown/?by=namespace&cluster=a&cluster=b&range=7d"
    assert [link["key"] for link in links] == ["1h", "6h", "24h", "7d", "30d", "this-month", "last-month"]


def test_window_ending_at_an_instant_for_the_apis_that_take_one():
    r = _range("range=last-month")
    assert timerange.window_params(r) == [("window", "2592000s"), ("time", str(int(r.end.timestamp())))]
    assert r.evaluation_instant(NOW.timestamp()) == r.end.timestamp()
    assert _range("range=6h").evaluation_instant(NOW.timestamp()) == NOW.timestamp()
