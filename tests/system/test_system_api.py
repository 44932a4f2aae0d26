"""Public system endpoints: health, version, metrics."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.conftest import CLOSED_URL

pytestmark = pytest.mark.django_db


def test_health_ok_without_clusters():
    response = APIClient().get("/api/v1/system/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == body["cache"] == body["channel_layer"] == "ok"
    assert body["clusters"] == {"total": 0, "ok": 0, "error": 0}


def test_dead_cluster_makes_health_degraded_not_a_crash(make_cluster):
    make_cluster("dead-a", url=CLOSED_URL, password="pw-should-not-leak", username="u")
    response = APIClient().get("/api/v1/system/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    # Anonymous: counted, never named (a partner or a stranger learns no cluster name here).
    assert body["clusters"] == {"total": 1, "ok": 0, "error": 1}
    assert "dead-a" not in response.content.decode() and "cluster_status" not in body
    text = response.content.decode()
    assert "127.0.0.1" not in text and "pw-should-not-leak" not in text


def test_health_down_when_database_fails(monkeypatch):
    from system import checks

    monkeypatch.setattr(checks, "check_database", lambda: "error")
    response = APIClient().get("/api/v1/system/health")
    assert response.status_code == 503
    assert response.json()["status"] == "down"


def test_version():
    body = APIClient().get("/api/v1/system/version").json()
    assert body["api_version"] == "v1"
    assert body["version"] and body["python_version"] and body["django_version"].startswith("5.2")


def test_metrics_public_by_default_and_include_ours():
    response = APIClient().get("/api/v1/system/metrics")
    assert response.status_code == 200
    text = response.content.decode()
    assert "django_http_requests" in text
    assert "kcloud_prometheus_requests_total" in text or "kcloud_cache_hits_total" in text


def test_metrics_bearer_protected_when_configured(settings):
    settings.KCLOUD_METRICS_TOKEN = "metrics-secret"
    assert APIClient().get("/api/v1/system/metrics").status_code == 401
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer wrong")
    assert client.get("/api/v1/system/metrics").status_code == 401
    client.credentials(HTTP_AUTHORIZATION="Bearer metrics-secret")
    assert client.get("/api/v1/system/metrics").status_code == 200


@pytest.mark.django_db
def test_health_names_clusters_only_when_configured(make_cluster, settings):
    make_cluster("dead-a")
    settings.KCLOUD_HEALTH_NAMES_CLUSTERS = True
    body = APIClient().get("/api/v1/system/health").json()
    assert body["cluster_status"] == [{"name": "dead-a", "status": "error"}]
