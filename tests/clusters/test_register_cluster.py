"""``register_cluster``: idempotent, validated through the admin form, secrets only from env."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from clusters.models import Cluster

pytestmark = pytest.mark.django_db


def test_register_then_update_is_idempotent(monkeypatch):
    monkeypatch.setenv("PROM_PW", "pw-from-env")
    call_command(
        "register_cluster",
        "seoul-a",
        "--url",
        "http://127.0.0.1:9090",
        "--display-name",
        "Seoul A",
        "--username",
        "kcloud",
        "--password-env",
        "PROM_PW",
        "--selector",
        'cluster = "seoul-a"',
        "--carbon-intensity",
        "430",
        "--price",
        "180.5",
        "--currency",
        "krw",
        "--design-pue",
        "1.4",
        "--no-verify-tls",
        stdout=StringIO(),
    )
    cluster = Cluster.objects.get(name="seoul-a")
    assert cluster.auth_type == "basic" and cluster.username == "kcloud" and cluster.password == "pw-from-env"
    assert cluster.label_selector == 'cluster="seoul-a"'  # canonical form
    assert cluster.carbon_intensity_g_per_kwh == 430 and float(cluster.electricity_price_per_kwh) == 180.5
    assert cluster.currency == "KRW" and cluster.design_pue == 1.4 and cluster.verify_tls is False

    out = StringIO()
    call_command("register_cluster", "seoul-a", "--url", "http://127.0.0.1:9091", "--region", "kr", stdout=out)
    assert "Updated" in out.getvalue()
    cluster.refresh_from_db()
    assert Cluster.objects.count() == 1
    assert cluster.prometheus_url == "http://127.0.0.1:9091" and cluster.region == "kr"
    # What was not given is kept, secrets included.
    assert cluster.display_name == "Seoul A" and cluster.password == "pw-from-env"


def test_bearer_token_from_env(monkeypatch):
    monkeypatch.setenv("PROM_TOKEN", "tok-123")
    call_command(
        "register_cluster",
        "busan-b",
        "--url",
        "https://prom.example:9090",
        "--bearer-token-env",
        "PROM_TOKEN",
        stdout=StringIO(),
    )
    cluster = Cluster.objects.get(name="busan-b")
    assert cluster.auth_type == "bearer" and cluster.bearer_token == "tok-123"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["bad name!", "--url", "http://x:9090"], "name"),
        (["ok", "--url", "ftp://x"], "prometheus_url"),
        (["ok", "--url", "http://u:p@127.0.0.1:9090"], "credentials in the URL"),
        (["ok", "--url", "http://x:9090", "--selector", "or vector(1)"], "label_selector"),
        (["ok", "--url", "http://x:9090", "--design-pue", "0.5"], "design_pue"),
        (["ok", "--url", "http://x:9090", "--currency", "WON!"], "currency"),
        (["ok", "--url", "http://x:9090", "--password-env", "NOT_SET_ANYWHERE"], "NOT_SET_ANYWHERE"),
    ],
)
def test_invalid_input_is_refused_with_a_clear_message(argv, message):
    with pytest.raises(CommandError, match=message):
        call_command("register_cluster", *argv, stdout=StringIO())
    assert not Cluster.objects.filter(name="ok").exists()
