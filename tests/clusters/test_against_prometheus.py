"""register_cluster + check_clusters + the admin's check action against real Prometheus servers."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from clusters.models import Cluster
from tests.conftest import CLOSED_URL

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db]


def test_check_clusters_all_ok_with_versions_and_capabilities(fleet_clusters, fleet_prometheus):
    out = StringIO()
    call_command("check_clusters", stdout=out)  # exit 0: no CommandError
    table = out.getvalue()
    for cluster in fleet_clusters:
        assert cluster.name in table
    assert "DOWN" not in table, table
    rows = {c.name: c for c in Cluster.objects.all()}
    for cluster in fleet_prometheus.fleet.clusters:
        row = rows[cluster.name]
        assert row.last_status == "ok" and row.prometheus_version.startswith("2.")
        caps = row.capabilities
        assert caps["exporters"]["dcgm"] and caps["exporters"]["kube_state_metrics"]
        assert caps["kepler_generation"] == cluster.kepler_generation
        assert caps["rebellions_naming"] in (cluster.rbln_naming, None)


def test_basic_auth_cluster_needs_its_credentials(fleet_clusters, fleet_prometheus):
    secured = next(e for e in fleet_prometheus.deployment.registry() if e.password)
    row = Cluster.objects.get(name=secured.name)
    assert row.auth_type == "basic"
    # Without the password the same URL answers 401, reported as an auth failure.
    call_command("register_cluster", "no-creds", "--url", secured.url, "--timeout", "5", stdout=StringIO())
    out = StringIO()
    with pytest.raises(CommandError, match="no-creds"):
        call_command("check_clusters", stdout=out)
    line = next(li for li in out.getvalue().splitlines() if li.startswith("no-creds"))
    assert "DOWN" in line
    assert "401" in line or "credentials" in line.lower()
    assert secured.password not in out.getvalue()


def test_global_querier_clusters_see_only_their_own_series(fleet_clusters, fleet_prometheus):
    scoped = [c for c in fleet_clusters if c.label_selector]
    assert len(scoped) == 2
    from clusters.prometheus.client import client_for

    for cluster in scoped:
        result = client_for(cluster).query(f"count by (cluster) ({cluster.scope.sel('up')})")
        assert [s.labels["cluster"] for s in result.samples] == [cluster.name]


def test_one_dead_cluster_makes_check_exit_non_zero(fleet_clusters):
    Cluster.objects.create(name="dead-z", prometheus_url=CLOSED_URL, timeout_seconds=2)
    out = StringIO()
    with pytest.raises(CommandError, match="1 of 4 cluster"):
        call_command("check_clusters", stdout=out)
    assert "dead-z" in out.getvalue()


def test_admin_check_connection_action(client, django_user_model, fleet_clusters):
    admin_user = django_user_model.objects.create_superuser("root", password="root-pass-1234")
    client.force_login(admin_user)
    ids = [str(c.pk) for c in fleet_clusters]
    response = client.post(
        "/admin/clusters/cluster/", {"action": "check_connection", "_selected_action": ids}, follow=True
    )
    text = response.content.decode().lower()  # the admin capitalises message text
    for cluster in fleet_clusters:
        assert f"{cluster.name}: ok, prometheus 2." in text


def test_health_endpoint_with_real_clusters(fleet_clusters):
    from rest_framework.test import APIClient

    body = APIClient().get("/api/v1/system/health").json()
    assert body["status"] == "ok"
    total = len(fleet_clusters)
    assert body["clusters"] == {"total": total, "ok": total, "error": 0}
