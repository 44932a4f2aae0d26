"""The Prometheus HTTP client: requests sent, retries, timeouts, error mapping, secrets."""

from __future__ import annotations

import base64
import itertools
import logging
import os
import time
from datetime import UTC, datetime
from urllib.parse import parse_qs

import pytest
import requests
import responses
from prometheus_client import REGISTRY

from clusters.models import Cluster
from clusters.prometheus import client as client_module
from clusters.prometheus.client import PrometheusClient, backoff_delay, client_for, reset_clients
from clusters.prometheus.errors import (
    PrometheusAuthError,
    PrometheusBadQuery,
    PrometheusBadResponse,
    PrometheusTimeout,
    PrometheusUnavailable,
)

BASE = "http://prom.test:9090"
QUERY_URL = BASE + "/api/v1/query"
RANGE_URL = BASE + "/api/v1/query_range"
SECRET = "s3cr3t-pa55w0rd-XYZ"
TOKEN = "tok-abcdef-0123456789-SECRET"
OK_VECTOR = {
    "status": "success",
    "data": {"resultType": "vector", "result": [{"metric": {"UUID": "GPU-1"}, "value": [1700000000, "67.3"]}]},
}
_ids = itertools.count(1000)


def make_cluster(name: str = "seoul-a", **fields) -> Cluster:
    """An unsaved Cluster with pk/updated_at set (no DB needed)."""
    password = fields.pop("password", None)
    token = fields.pop("bearer_token", None)
    fields.setdefault("prometheus_url", BASE)
    fields.setdefault("timeout_seconds", 2.0)
    cluster = Cluster(name=name, **fields)
    if password is not None:
        cluster.auth_type = Cluster.AuthType.BASIC
        cluster.username = cluster.username or "kcloud"
        cluster.password = password
    if token is not None:
        cluster.auth_type = Cluster.AuthType.BEARER
        cluster.bearer_token = token
    cluster.pk = next(_ids)
    cluster.updated_at = datetime(2025, 1, 1, tzinfo=UTC)
    return cluster


class SleepRecorder(list):
    """Stands in for time.sleep: records the delays instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture(autouse=True)
def _fresh_clients():
    reset_clients()
    yield
    reset_clients()


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def client(sleeps) -> PrometheusClient:
    return PrometheusClient(make_cluster(), sleep=sleeps, retries=2)


def _form(call) -> dict[str, list[str]]:
    return parse_qs(call.request.body if isinstance(call.request.body, str) else call.request.body.decode())


# --- requests sent --------------------------------------------------------------


@responses.activate
def test_query_posts_form_and_parses(client):
    responses.post(QUERY_URL, json=OK_VECTOR)
    result = client.query('DCGM_FI_DEV_POWER_USAGE{pod="a\\"b"}', time=1700000000.25)
    assert result.samples[0].value == 67.3
    (call,) = responses.calls
    assert call.request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = _form(call)
    assert form["query"] == ['DCGM_FI_DEV_POWER_USAGE{pod="a\\"b"}']
    assert form["time"] == ["1700000000.250"]
    assert form["timeout"] == ["2"]
    assert call.request.headers["Accept"] == "application/json"
    assert "Authorization" not in call.request.headers  # auth_type none


@responses.activate
def test_query_time_accepts_datetimes_and_none(client):
    responses.post(QUERY_URL, json=OK_VECTOR)
    client.query("up", time=datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC))
    client.query("up", time=datetime(2023, 11, 14, 22, 13, 20))  # naive = UTC
    client.query("up")
    assert _form(responses.calls[0])["time"] == ["1700000000.000"]
    assert _form(responses.calls[1])["time"] == ["1700000000.000"]
    assert "time" not in _form(responses.calls[2])


@responses.activate
def test_query_range(client):
    matrix = {"status": "success", "data": {"resultType": "matrix", "result": []}}
    responses.post(RANGE_URL, json=matrix)
    result = client.query_range("sum(up)", 1700000000, datetime.fromtimestamp(1700003600, UTC), 60)
    assert result.result_type == "matrix"
    form = _form(responses.calls[0])
    assert form["start"] == ["1700000000.000"]
    assert form["end"] == ["1700003600.000"]
    assert form["step"] == ["60"]


@responses.activate
def test_fractional_seconds_use_prometheus_float_form(sleeps):
    # "2.5s" is not a valid Prometheus duration; "2.5" (float seconds) is.
    matrix = {"status": "success", "data": {"resultType": "matrix", "result": []}}
    responses.post(QUERY_URL, json=OK_VECTOR)
    responses.post(RANGE_URL, json=matrix)
    client = PrometheusClient(make_cluster(timeout_seconds=2.5), sleep=sleeps)
    client.query("up")
    client.query_range("up", 0, 2_469_134, 1_234_567)
    client.query_range("up", 0, 10, 0.5)
    assert _form(responses.calls[0])["timeout"] == ["2.5"]
    assert _form(responses.calls[1])["step"] == ["1234567"]
    assert _form(responses.calls[2])["step"] == ["0.5"]


@pytest.mark.parametrize(("start", "end", "step"), [(0, 100, 0), (0, 100, -1), (100, 0, 10), (0, 11001, 1)])
def test_query_range_refuses_bad_windows_without_a_request(client, start, end, step):
    # Inside an empty RequestsMock any request would fail the test.
    with responses.RequestsMock(), pytest.raises(PrometheusBadQuery):
        client.query_range("up", start, end, step)


@responses.activate
def test_series_label_values_metric_names_buildinfo(client):
    responses.get(BASE + "/api/v1/series", json={"status": "success", "data": [{"__name__": "up", "job": "n"}]})
    responses.get(BASE + "/api/v1/label/UUID/values", json={"status": "success", "data": ["GPU-1", "GPU-2"]})
    responses.get(BASE + "/api/v1/label/__name__/values", json={"status": "success", "data": ["up"]})
    responses.get(BASE + "/api/v1/status/buildinfo", json={"status": "success", "data": {"version": "3.5.0"}})
    assert client.series(['up{job="n"}', "kube_node_info"], start=0, end=60) == [{"__name__": "up", "job": "n"}]
    assert client.label_values("UUID", match=["DCGM_FI_DEV_GPU_TEMP"]) == ["GPU-1", "GPU-2"]
    assert client.metric_names() == ["up"]
    assert client.buildinfo() == {"version": "3.5.0"}
    series_call, label_call = responses.calls[0], responses.calls[1]
    assert series_call.request.method == "GET"
    assert parse_qs(series_call.request.url.split("?", 1)[1]) == {
        "match[]": ['up{job="n"}', "kube_node_info"],
        "start": ["0.000"],
        "end": ["60.000"],
    }
    assert parse_qs(label_call.request.url.split("?", 1)[1]) == {"match[]": ["DCGM_FI_DEV_GPU_TEMP"]}
    with pytest.raises(ValueError):
        client.label_values("bad/label")
    with pytest.raises(ValueError):
        client.series([])


@responses.activate
def test_ready(client, sleeps):
    responses.get(BASE + "/-/ready", body="Prometheus Server is Ready.\n")
    assert client.ready() is True
    responses.replace(responses.GET, BASE + "/-/ready", status=503, body="Service Unavailable")
    assert client.ready() is False
    assert len(responses.calls) == 2  # "not ready" is an answer, not retried
    assert sleeps == []


@responses.activate
def test_base_url_with_path_prefix_and_trailing_slash(sleeps):
    responses.post("http://thanos.test/prometheus/api/v1/query", json=OK_VECTOR)
    client = PrometheusClient(make_cluster(prometheus_url="http://thanos.test/prometheus/"), sleep=sleeps)
    assert client.query("up").samples


# --- auth and secrets -------------------------------------------------------------


@responses.activate
def test_basic_auth_header_sent_and_secret_never_leaks(caplog, sleeps):
    caplog.set_level(logging.DEBUG)
    cluster = make_cluster(password=SECRET, username="kcloud")
    client = PrometheusClient(cluster, sleep=sleeps)
    responses.post(QUERY_URL, json=OK_VECTOR)
    client.query("up")
    expected = "Basic " + base64.b64encode(f"kcloud:{SECRET}".encode()).decode()
    assert responses.calls[0].request.headers["Authorization"] == expected

    responses.replace(responses.POST, QUERY_URL, status=400, json={"status": "error", "errorType": "bad_data"})
    with pytest.raises(PrometheusBadQuery) as info:
        client.query("up{")
    for text in (str(info.value), repr(info.value), info.value.message, caplog.text, repr(client)):
        assert SECRET not in text
        assert expected not in text
        assert "Authorization" not in text


@responses.activate
def test_bearer_token_header_sent_and_never_leaks(caplog, sleeps):
    caplog.set_level(logging.DEBUG)
    client = PrometheusClient(make_cluster(bearer_token=TOKEN), sleep=sleeps)
    responses.post(QUERY_URL, json=OK_VECTOR)
    client.query("up")
    assert responses.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"

    errors = []
    for status in (401, 403, 400, 503):
        responses.replace(responses.POST, QUERY_URL, status=status, body="nope")
        with pytest.raises(Exception) as info:
            client.query("up")
        errors.append(info.value)
    responses.replace(responses.POST, QUERY_URL, body=requests.ConnectionError("refused"))
    with pytest.raises(PrometheusUnavailable) as info:
        client.query("up")
    errors.append(info.value)
    assert [type(e) for e in errors] == [
        PrometheusAuthError,
        PrometheusAuthError,
        PrometheusBadQuery,
        PrometheusUnavailable,
        PrometheusUnavailable,
    ]
    for exc in errors:
        assert TOKEN not in str(exc)
        assert TOKEN not in repr(exc)
        assert exc.cluster == "seoul-a"
    assert TOKEN not in caplog.text


def test_undecryptable_credential_is_an_auth_error(sleeps):
    cluster = make_cluster(password="x")
    cluster._password = "not-a-fernet-token"
    with pytest.raises(PrometheusAuthError, match="cannot be decrypted") as info:
        PrometheusClient(cluster, sleep=sleeps)
    assert info.value.cluster == "seoul-a"


# --- retries and backoff ------------------------------------------------------------


@responses.activate
def test_503_then_200_retries_once(client, sleeps):
    responses.post(QUERY_URL, status=503, body="unavailable")
    responses.post(QUERY_URL, json=OK_VECTOR)
    assert client.query("up").samples[0].value == 67.3
    assert len(responses.calls) == 2
    assert len(sleeps) == 1
    assert 0.05 <= sleeps[0] <= 0.1


@pytest.mark.parametrize("status", [502, 503, 504])
@responses.activate
def test_gateway_errors_forever_give_unavailable_after_retries(client, sleeps, status):
    responses.post(QUERY_URL, status=status, body="<html>bad gateway</html>")
    with pytest.raises(PrometheusUnavailable, match=f"HTTP {status}") as info:
        client.query("up")
    assert len(responses.calls) == 3  # retries (2) + 1
    assert len(sleeps) == 2
    assert 0.05 <= sleeps[0] <= 0.1
    assert 0.1 <= sleeps[1] <= 0.2
    assert info.value.cluster == "seoul-a"


def test_backoff_is_bounded():
    assert backoff_delay(0, rand=lambda: 1.0) == pytest.approx(0.1)
    assert backoff_delay(1, rand=lambda: 0.0) == pytest.approx(0.1)
    assert backoff_delay(1, rand=lambda: 1.0) == pytest.approx(0.2)
    assert backoff_delay(10, rand=lambda: 1.0) == pytest.approx(1.0)
    assert backoff_delay(10, rand=lambda: 0.0) == pytest.approx(0.5)


@responses.activate
def test_retries_setting_is_respected(settings, sleeps):
    settings.KCLOUD_PROMETHEUS_RETRIES = 0
    client = PrometheusClient(make_cluster(), sleep=sleeps)
    responses.post(QUERY_URL, status=503)
    with pytest.raises(PrometheusUnavailable):
        client.query("up")
    assert len(responses.calls) == 1
    assert sleeps == []


@responses.activate
def test_connection_errors_are_retried(client, sleeps):
    responses.post(QUERY_URL, body=requests.ConnectionError("Connection refused"))
    responses.post(QUERY_URL, body=requests.exceptions.ConnectTimeout("connect timed out"))
    responses.post(QUERY_URL, json=OK_VECTOR)
    assert client.query("up").samples
    assert len(responses.calls) == 3
    assert len(sleeps) == 2


@pytest.mark.parametrize(
    ("failure", "exc_class", "text"),
    [
        (
            requests.ConnectionError("Connection refused"),
            PrometheusUnavailable,
            r"cannot connect to http://prom\.test:9090",
        ),
        (requests.exceptions.ConnectTimeout("connect timed out"), PrometheusTimeout, "connecting"),
    ],
)
@responses.activate
def test_connection_failures_forever(client, failure, exc_class, text):
    responses.post(QUERY_URL, body=failure)
    with pytest.raises(exc_class, match=text):
        client.query("up")
    assert len(responses.calls) == 3


@pytest.mark.parametrize("status", [400, 422])
@responses.activate
def test_bad_query_is_not_retried_and_logged(client, sleeps, caplog, status):
    body = {"status": "error", "errorType": "bad_data", "error": '1:5: parse error: unexpected "}"'}
    responses.post(QUERY_URL, status=status, json=body)
    with (
        caplog.at_level(logging.WARNING, logger="clusters.prometheus.client"),
        pytest.raises(PrometheusBadQuery, match="parse error") as info,
    ):
        client.query("up{}}")
    assert len(responses.calls) == 1
    assert sleeps == []
    assert info.value.permanent
    (record,) = [r for r in caplog.records if r.name == "clusters.prometheus.client"]
    assert record.levelno == logging.WARNING
    assert "up{}}" in record.getMessage()
    assert "parse error" in record.getMessage()


@responses.activate
def test_read_timeout_is_not_retried(client, sleeps):
    responses.post(QUERY_URL, body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(PrometheusTimeout) as info:
        client.query("up")
    assert len(responses.calls) == 1
    assert sleeps == []
    assert info.value.cluster == "seoul-a"


@responses.activate
def test_prometheus_query_timeout_503_is_not_retried(client):
    body = {"status": "error", "errorType": "timeout", "error": "query timed out in expression evaluation"}
    responses.post(QUERY_URL, status=503, json=body)
    with pytest.raises(PrometheusTimeout, match="query timed out"):
        client.query("up")
    assert len(responses.calls) == 1


@responses.activate
def test_retries_stop_at_the_deadline():
    # 0.5 s budget, each attempt takes 0.2 s: a third attempt would blow the budget.
    def slow_503(request):
        time.sleep(0.2)
        return 503, {}, "busy"

    responses.add_callback(responses.POST, QUERY_URL, callback=slow_503)
    client = PrometheusClient(make_cluster(timeout_seconds=0.5), retries=5)
    # Unavailable when the last attempt's 503 arrives in time, Timeout when the budget
    # runs out first (a loaded machine): either way the attempts stop at the budget,
    # at most three of the six that retries=5 would allow (counted, not timed).
    with pytest.raises((PrometheusUnavailable, PrometheusTimeout)):
        client.query("up")
    assert 1 <= len(responses.calls) <= 3


# --- error mapping ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "exc_class", "text"),
    [
        (200, "<html><body>Login</body></html>", PrometheusBadResponse, "HTML"),
        (200, '{"status":"success","data":{"resultType":"vector","res', PrometheusBadResponse, "truncated"),
        (200, "", PrometheusBadResponse, "not Prometheus JSON"),
        (200, '{"status":"success"}', PrometheusBadResponse, "missing data"),
        (200, '{"status":"error","errorType":"bad_data","error":"invalid x"}', PrometheusBadQuery, "invalid x"),
        (401, "Unauthorized", PrometheusAuthError, "HTTP 401"),
        (403, "Forbidden", PrometheusAuthError, "HTTP 403"),
        (404, "404 page not found", PrometheusBadResponse, "base URL"),
        (405, "", PrometheusBadResponse, "HTTP 405"),
        (429, "slow down", PrometheusUnavailable, "HTTP 429"),
        (500, '{"status":"error","errorType":"internal","error":"boom"}', PrometheusBadResponse, "boom"),
        (501, "", PrometheusUnavailable, "HTTP 501"),
        (302, "", PrometheusBadResponse, "HTTP 302"),
    ],
)
@responses.activate
def test_error_mapping(client, status, body, exc_class, text):
    responses.post(QUERY_URL, status=status, body=body)
    with pytest.raises(exc_class, match=text) as info:
        client.query("up")
    assert type(info.value) is exc_class
    assert info.value.cluster == "seoul-a"
    assert len(responses.calls) == 1


@responses.activate
def test_tls_error_is_unavailable_without_retry(client):
    responses.post(QUERY_URL, body=requests.exceptions.SSLError("certificate verify failed"))
    with pytest.raises(PrometheusUnavailable, match="TLS"):
        client.query("up")
    assert len(responses.calls) == 1


@responses.activate
def test_oversized_answer_is_refused(client, monkeypatch):
    monkeypatch.setattr(client_module, "MAX_RESPONSE_BYTES", 1000)
    responses.post(QUERY_URL, body="x" * 5000)
    with pytest.raises(PrometheusBadResponse, match="larger than"):
        client.query("up")


# --- TLS settings ---------------------------------------------------------------------


PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def test_ca_bundle_written_to_private_file_passed_to_requests_and_removed():
    client = PrometheusClient(make_cluster(ca_bundle=PEM))
    path = client.verify
    assert isinstance(path, str)
    with responses.RequestsMock() as mocked:
        mocked.post(QUERY_URL, json=OK_VECTOR)
        client.query("up")
        assert mocked.calls[0].request.req_kwargs["verify"] == path
    with open(path) as handle:
        assert handle.read() == PEM
    assert os.stat(path).st_mode & 0o077 == 0
    client.close()
    assert not os.path.exists(path)
    assert PrometheusClient(make_cluster()).verify is True
    assert PrometheusClient(make_cluster(verify_tls=False, ca_bundle=PEM)).verify is False


# --- client cache and metrics ---------------------------------------------------------


def test_client_for_reuses_until_the_row_changes():
    cluster = make_cluster()
    first = client_for(cluster)
    assert client_for(cluster) is first
    assert first.session is client_for(cluster).session
    cluster.updated_at = datetime(2025, 6, 1, tzinfo=UTC)
    second = client_for(cluster)
    assert second is not first
    assert client_for(cluster) is second
    reset_clients()
    assert client_for(cluster) is not second
    unsaved = Cluster(name="tmp", prometheus_url=BASE)  # no pk: never cached
    assert client_for(unsaved) is not client_for(unsaved)


@pytest.mark.django_db
def test_client_for_saved_row():
    cluster = Cluster.objects.create(name="busan-b", prometheus_url=BASE, timeout_seconds=3)
    client = client_for(cluster)
    assert client.timeout == 3.0
    assert client.name == "busan-b"
    cluster.timeout_seconds = 5
    cluster.save()
    assert client_for(cluster).timeout == 5.0


def _metric(name: str, labels: dict) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@responses.activate
def test_metrics_recorded(sleeps):
    client = PrometheusClient(make_cluster(name="metrics-c"), sleep=sleeps)
    ok = {"cluster": "metrics-c", "endpoint": "query", "outcome": "ok"}
    bad = {"cluster": "metrics-c", "endpoint": "query", "outcome": "prometheus_bad_query"}
    before_ok = _metric("kcloud_prometheus_requests_total", ok)
    before_bad = _metric("kcloud_prometheus_requests_total", bad)
    responses.post(QUERY_URL, json=OK_VECTOR)
    client.query("up")
    responses.replace(responses.POST, QUERY_URL, status=400, body="bad")
    with pytest.raises(PrometheusBadQuery):
        client.query("up{")
    assert _metric("kcloud_prometheus_requests_total", ok) == before_ok + 1
    assert _metric("kcloud_prometheus_requests_total", bad) == before_bad + 1
    assert _metric("kcloud_prometheus_query_duration_seconds_count", {"cluster": "metrics-c", "outcome": "ok"}) >= 1
