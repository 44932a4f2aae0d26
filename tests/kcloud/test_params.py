"""Parameter parsers: clean values or a 400 naming the parameter."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from clusters.prometheus.promql import promql_duration
from kcloud.api import params
from kcloud.api.errors import BadParameter

NOW = datetime(2026, 11, 26, 12, 0, 7, tzinfo=UTC)


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("5m", 300), ("1h", 3600), ("7d", 604800), ("2w", 1209600)])
def test_durations(text, seconds):
    assert params.parse_duration("window", text) == seconds
    assert promql_duration(seconds) in {text, "1w" if seconds == 604800 else text}


@pytest.mark.parametrize("bad", ["", "1", "1h30", "-1h", "1y", "5m)", "1h or vector(1)", "999999d"])
def test_bad_durations_name_the_parameter(bad):
    with pytest.raises(BadParameter) as info:
        params.parse_duration("window", bad)
    assert info.value.details == {"parameter": "window"}


def test_time_range_auto_step_is_aligned_and_bounded():
    tr = params.parse_time_range({"start": "2026-11-25T12:00:00Z", "end": "2026-11-26T12:00:00Z"}, now=NOW)
    assert tr.step_seconds == 600 and tr.points <= params.MAX_POINTS
    assert tr.start.timestamp() % tr.step_seconds == 0


def test_time_range_step_never_below_scrape_interval_nor_above_max_points():
    with pytest.raises(BadParameter, match="step"):
        params.parse_time_range({"start": "1700000000", "end": "1700003600", "step": "5"}, now=NOW, min_step=30)
    with pytest.raises(BadParameter, match="11000"):
        params.parse_time_range(
            {"start": "2026-01-01T00:00:00Z", "end": "2026-11-01T00:00:00Z", "step": "30s"}, now=NOW
        )
    tr = params.parse_time_range({"start": "2026-01-01T00:00:00Z", "end": "2026-11-01T00:00:00Z"}, now=NOW)
    assert tr.points <= params.MAX_POINTS


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"start": "2026-11-26T00:00:00Z", "end": "2026-11-25T00:00:00Z"}, "start"),
        ({"start": "yesterday"}, "start"),
        ({"end": "NaN"}, "end"),
        ({"end": "2030-01-01T00:00:00Z"}, "end"),
    ],
)
def test_bad_ranges(query, parameter):
    with pytest.raises(BadParameter) as info:
        params.parse_time_range(query, now=NOW)
    assert info.value.details["parameter"] == parameter


@pytest.mark.parametrize("bad", ['a"b', "a\\b", "a\nb", ".*", "a}", "or vector(1)", "UPPER", "-lead", "x" * 300])
def test_k8s_names_reject_nasty_values(bad):
    with pytest.raises(BadParameter):
        params.parse_k8s_name("pod", bad)


def test_k8s_names_accept_real_ones():
    assert params.parse_k8s_name("pod", "trainer-7d9f8-abcde") == "trainer-7d9f8-abcde"
    assert params.parse_k8s_name("node", "gpu-node-01.seoul.example") == "gpu-node-01.seoul.example"
    assert params.parse_k8s_names("namespace", ["a", "b", "a"], label=True) == ["a", "b"]


def test_uuid_and_ordering():
    assert params.parse_uuid("uuid", "GPU-2b7c9c6e-1f7a-4c57-9d0e-3f1c2a4b5d6e")
    with pytest.raises(BadParameter):
        params.parse_uuid("uuid", "GPU-../../etc")
    assert params.parse_ordering("-power_watts", ["power_watts"]) == ("power_watts", True)
    with pytest.raises(BadParameter, match="ordering"):
        params.parse_ordering("secret", ["power_watts"])


def test_order_rows_puts_none_last_both_ways():
    rows = [{"p": 2}, {"p": None}, {"p": 5}]
    get = dict.get
    assert [r["p"] for r in params.order_rows(rows, ("p", True), key=get)] == [5, 2, None]
    assert [r["p"] for r in params.order_rows(rows, ("p", False), key=get)] == [2, 5, None]
