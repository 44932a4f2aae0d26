"""Structured logs: a request id everywhere, one JSON line per request, nothing secret in it."""

from __future__ import annotations

import json
import logging

import pytest

from kcloud.logs import JsonFormatter

pytestmark = pytest.mark.django_db


def _lines(caplog) -> list[dict]:
    formatter = JsonFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == "kcloud.request"]


def test_every_answer_has_a_request_id_and_errors_name_it(staff_api):
    response = staff_api.get("/api/v1/monitoring/power", {"bogus": "1"})
    assert response.status_code == 400
    rid = response["X-Request-ID"]
    assert len(rid) == 32 and response.json()["error"]["request_id"] == rid
    echoed = staff_api.get("/api/v1/system/version", HTTP_X_REQUEST_ID="lb-1234.abc")
    assert echoed["X-Request-ID"] == "lb-1234.abc"
    replaced = staff_api.get("/api/v1/system/version", HTTP_X_REQUEST_ID="no spaces <allowed>")
    assert replaced["X-Request-ID"] != "no spaces <allowed>"


def test_one_line_per_request_with_who_and_each_cluster(token_client, partner_user, make_cluster, caplog):
    make_cluster("dead-one")
    api = token_client(partner_user, all_clusters=True)
    with caplog.at_level(logging.INFO, logger="kcloud.request"):
        response = api.get("/api/v1/monitoring/power", {"time": "1700000000"})
    (line,) = _lines(caplog)
    assert line["event"] == "request" and line["status"] == response.status_code == 200
    assert line["request_id"] == response["X-Request-ID"]
    assert line["path"] == "/api/v1/monitoring/power" and "1700000000" not in json.dumps(line)  # no query string
    assert line["user"] == "partner" and line["token"] == "test"
    assert line["clusters"] == [{"cluster": "dead-one", "status": "error", "code": "prometheus_unavailable"}]
    assert line["duration_ms"] >= 0
    key = api._credentials["HTTP_AUTHORIZATION"].split()[1]
    assert key not in json.dumps(line) and "127.0.0.1" not in json.dumps(line)


def test_the_worker_lines_carry_an_activity_id():
    from kcloud.logs import activity

    record = logging.LogRecord("monitoring.alerting", logging.INFO, __file__, 1, "evaluated", None, None)
    record.rules = 3
    with activity("evaluate") as rid:
        line = json.loads(JsonFormatter().format(record))
    assert rid.startswith("evaluate-") and line["request_id"] == rid
    assert line["message"] == "evaluated" and line["rules"] == 3 and line["level"] == "INFO"
