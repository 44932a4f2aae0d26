"""Parsing Prometheus answers: values, sentinels and the strict shape check."""

from __future__ import annotations

import pickle

import pytest

from clusters.prometheus.errors import (
    PrometheusBadQuery,
    PrometheusBadResponse,
    PrometheusTimeout,
    PrometheusUnavailable,
)
from clusters.prometheus.results import (
    DCGM_FP64_BLANK,
    DCGM_INT32_BLANK,
    QueryResult,
    Sample,
    Series,
    is_dcgm_blank,
    is_nan_text,
    parse_query_response,
    parse_series_list,
    parse_string_list,
    parse_value,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("67.351", 67.351),
        ("0", 0.0),
        ("-3.5", -3.5),
        ("1e3", 1000.0),
        ("NaN", None),
        ("+Inf", None),
        ("-Inf", None),
        ("Inf", None),
        # dcgm-exporter blank sentinels (int32 window, int64, fp64)
        ("2147483632", None),  # DCGM_INT32_BLANK
        ("2147483633", None),  # NOT_FOUND
        ("2147483634", None),  # NOT_SUPPORTED
        ("2147483647", None),  # int32 max, still in the blank window
        ("9223372036854775792", None),  # DCGM_INT64_BLANK
        ("9223372036854775794", None),  # INT64 NOT_SUPPORTED
        ("9.223372036854776e+18", None),  # how Prometheus prints it back (float64)
        ("140737488355328", None),  # DCGM_FP64_BLANK = 2**47
        ("140737488355330", None),  # FP64 NOT_SUPPORTED
        # Just outside the sentinel windows: real readings.
        ("2147483631", 2147483631.0),
        ("2147483648", 2147483648.0),
        ("2147483632.5", 2147483632.5),
        ("140737488355327", 140737488355327.0),
        # Large legitimate counters (fleet energy in mJ, network bytes) must survive.
        ("22075200000000000", 22075200000000000.0),
        ("140737488360000", 140737488360000.0),
    ],
)
def test_parse_value(text, expected):
    assert parse_value(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "1,5", "0x10"])
def test_parse_value_rejects_non_numbers(text):
    with pytest.raises(ValueError):
        parse_value(text)


def test_parse_value_requires_a_string():
    with pytest.raises(ValueError):
        parse_value(1.0)  # type: ignore[arg-type]


def test_is_dcgm_blank():
    assert is_dcgm_blank(float(DCGM_INT32_BLANK))
    assert is_dcgm_blank(DCGM_FP64_BLANK)
    assert is_dcgm_blank(9.3e18)
    assert not is_dcgm_blank(250.0)
    assert not is_dcgm_blank(3.0e14)


def test_is_nan_text():
    assert is_nan_text("NaN")
    assert is_nan_text("nan")
    assert not is_nan_text("0")
    assert not is_nan_text("+Inf")
    assert not is_nan_text(None)


def _vector(*items, **extra):
    return {"status": "success", "data": {"resultType": "vector", "result": list(items)}, **extra}


def test_vector():
    payload = _vector(
        {"metric": {"__name__": "ipmi_sensor_state", "name": "PSU1"}, "value": [1700000000.5, "NaN"]},
        {"metric": {"UUID": "GPU-1"}, "value": [1700000000.5, "67.351"]},
        {"metric": {"UUID": "GPU-2"}, "value": [1700000000, "9223372036854775792"]},
    )
    result = parse_query_response(payload)
    assert result.result_type == "vector"
    assert result.series == []
    nan, watts, blank = result.samples
    assert nan == Sample({"__name__": "ipmi_sensor_state", "name": "PSU1"}, None, 1700000000.5, "NaN")
    assert nan.is_nan  # NaN ("state unknown") is distinguishable from a missing series
    assert watts.value == 67.351
    assert watts.labels == {"UUID": "GPU-1"}
    assert not watts.is_nan
    assert blank.value is None
    assert not blank.is_nan
    assert blank.timestamp == 1700000000.0


def test_empty_vector():
    result = parse_query_response(_vector())
    assert result == QueryResult("vector", [], [], [])
    assert result.scalar is None


def test_matrix():
    payload = {
        "status": "success",
        "data": {
            "resultType": "matrix",
            "result": [
                {"metric": {"node": "n1"}, "values": [[1700000000, "1"], [1700000015, "+Inf"], [1700000030, "2.5"]]},
            ],
        },
    }
    result = parse_query_response(payload)
    assert result.result_type == "matrix"
    assert result.samples == []
    assert result.series == [Series({"node": "n1"}, [(1700000000.0, 1.0), (1700000015.0, None), (1700000030.0, 2.5)])]


def test_scalar_and_string():
    scalar = parse_query_response({"status": "success", "data": {"resultType": "scalar", "result": [1.5, "42"]}})
    assert scalar.result_type == "scalar"
    assert scalar.scalar == 42.0
    assert scalar.samples == [Sample({}, 42.0, 1.5, "42")]
    string = parse_query_response({"status": "success", "data": {"resultType": "string", "result": [1.5, "hi"]}})
    assert string.result_type == "string"
    assert string.string_value == "hi"


def test_warnings_and_infos_are_kept():
    result = parse_query_response(_vector(warnings=["partial response"], infos=["PromQL info: x"]))
    assert result.warnings == ["partial response", "PromQL info: x"]


def test_native_histograms_are_skipped_with_a_warning():
    payload = _vector({"metric": {"a": "b"}, "histogram": [1, {"count": "1", "sum": "2"}]})
    result = parse_query_response(payload)
    assert result.samples == []
    assert result.warnings == ["native histogram samples were ignored"]


def test_results_pickle():
    result = parse_query_response(_vector({"metric": {"a": "b"}, "value": [1, "2"]}))
    assert pickle.loads(pickle.dumps(result)) == result  # noqa: S301 - our own bytes, as the cache does


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [],
        "success",
        {},
        {"status": "success"},  # missing data
        {"status": "ok", "data": {}},
        {"status": "success", "data": []},
        {"status": "success", "data": {"resultType": "table", "result": []}},
        {"status": "success", "data": {"resultType": "vector"}},
        {"status": "success", "data": {"resultType": "vector", "result": {}}},
        {"status": "success", "data": {"resultType": "vector", "result": ["x"]}},
        {"status": "success", "data": {"resultType": "vector", "result": [{"value": [1, "1"]}]}},
        {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {"a": 1}, "value": [1, "1"]}]}},
        {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, 1]}]}},
        {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": ["1", "1"]}]}},
        {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [True, "1"]}]}},
        {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1]}]}},
        {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, "abc"]}]}},
        {"status": "success", "data": {"resultType": "matrix", "result": [{"metric": {}, "values": "x"}]}},
        {"status": "success", "data": {"resultType": "matrix", "result": [{"metric": {}, "values": [[1]]}]}},
        {"status": "success", "data": {"resultType": "scalar", "result": "1"}},
        {"status": "success", "data": {"resultType": "vector", "result": []}, "warnings": "w"},
    ],
)
def test_bad_shapes_raise_bad_response(payload):
    with pytest.raises(PrometheusBadResponse) as info:
        parse_query_response(payload, cluster="seoul-a")
    assert info.value.cluster == "seoul-a"
    assert str(info.value).startswith("seoul-a: ")


@pytest.mark.parametrize(
    ("error_type", "exc_class"),
    [
        ("bad_data", PrometheusBadQuery),
        ("execution", PrometheusBadQuery),
        ("timeout", PrometheusTimeout),
        ("canceled", PrometheusTimeout),
        ("unavailable", PrometheusUnavailable),
        ("internal", PrometheusBadResponse),
        ("not_found", PrometheusBadResponse),
        ("something_new", PrometheusBadResponse),
        (None, PrometheusBadResponse),
    ],
)
def test_status_error_maps_error_type(error_type, exc_class):
    payload = {"status": "error", "errorType": error_type, "error": "parse error at char 5"}
    with pytest.raises(exc_class) as info:
        parse_query_response(payload, cluster="c1")
    assert type(info.value) is exc_class
    assert "parse error at char 5" in info.value.message
    assert info.value.cluster == "c1"


def test_status_error_without_message():
    with pytest.raises(PrometheusBadResponse, match="without a message"):
        parse_query_response({"status": "error"})


def test_label_values_and_series_lists():
    assert parse_string_list({"status": "success", "data": ["a", "b"]}) == ["a", "b"]
    assert parse_string_list({"status": "success", "data": None}) == []
    with pytest.raises(PrometheusBadResponse):
        parse_string_list({"status": "success", "data": ["a", 1]})
    with pytest.raises(PrometheusBadResponse):
        parse_string_list({"status": "success"})
    series = {"status": "success", "data": [{"__name__": "up", "job": "node"}]}
    assert parse_series_list(series) == [{"__name__": "up", "job": "node"}]
    with pytest.raises(PrometheusBadResponse):
        parse_series_list({"status": "success", "data": [["up"]]})
    with pytest.raises(PrometheusBadQuery):
        parse_series_list({"status": "error", "errorType": "bad_data", "error": "no match[]"})
