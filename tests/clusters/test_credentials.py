"""Credentials are encrypted at rest and never shown: DB row, admin, API, command output, logs."""

from __future__ import annotations

import logging
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from clusters import crypto
from clusters.models import Cluster

SECRET = "s3cr3t-pa55word-\u00e9-do-not-leak"
TOKEN = "bearer-token-do-not-leak-0123456789"


def _raw_row(cluster: Cluster) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM clusters_cluster WHERE id = %s", [cluster.pk])
        return repr(cursor.fetchone())


@pytest.mark.django_db
def test_database_row_holds_no_plaintext(make_cluster):
    basic = make_cluster("basic-a", password=SECRET, username="ops")
    bearer = make_cluster("bearer-b", bearer_token=TOKEN)
    assert SECRET not in _raw_row(basic)
    assert TOKEN not in _raw_row(bearer)
    # ... and yet they round-trip.
    assert Cluster.objects.get(pk=basic.pk).password == SECRET
    assert Cluster.objects.get(pk=bearer.pk).bearer_token == TOKEN


@pytest.mark.django_db
def test_admin_list_and_change_pages_never_show_secrets(client, django_user_model, make_cluster):
    admin_user = django_user_model.objects.create_superuser("root", password="root-pass-1234")
    client.force_login(admin_user)
    cluster = make_cluster("basic-a", password=SECRET, username="ops")
    listing = client.get("/admin/clusters/cluster/")
    change = client.get(f"/admin/clusters/cluster/{cluster.pk}/change/")
    for response in (listing, change):
        assert response.status_code == 200
        body = response.content.decode()
        assert SECRET not in body
        assert cluster._password not in body  # not even the ciphertext
    assert "password set" in listing.content.decode()


@pytest.mark.django_db
def test_admin_form_keeps_secret_when_left_blank_and_replaces_when_given(client, django_user_model, make_cluster):
    admin_user = django_user_model.objects.create_superuser("root", password="root-pass-1234")
    client.force_login(admin_user)
    cluster = make_cluster("basic-a", password=SECRET, username="ops")
    form = {
        "name": "basic-a",
        "prometheus_url": "http://127.0.0.1:9",
        "auth_type": "basic",
        "username": "ops",
        "timeout_seconds": "2",
        "currency": "KRW",
        "verify_tls": "on",
        "enabled": "on",
    }
    response = client.post(f"/admin/clusters/cluster/{cluster.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Cluster.objects.get(pk=cluster.pk).password == SECRET
    response = client.post(f"/admin/clusters/cluster/{cluster.pk}/change/", {**form, "new_password": "new-one"})
    assert response.status_code == 302
    assert Cluster.objects.get(pk=cluster.pk).password == "new-one"


@pytest.mark.django_db
def test_admin_rejects_bad_url_and_selector(client, django_user_model):
    admin_user = django_user_model.objects.create_superuser("root", password="root-pass-1234")
    client.force_login(admin_user)
    form = {
        "name": "bad",
        "prometheus_url": "http://user:pw@127.0.0.1:9090",
        "auth_type": "none",
        "timeout_seconds": "2",
        "currency": "KRW",
        "label_selector": 'cluster="a" or vector(1)',
        "enabled": "on",
    }
    response = client.post("/admin/clusters/cluster/add/", form)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Do not put credentials in the URL" in body
    assert "cannot parse label selector" in body
    assert not Cluster.objects.filter(name="bad").exists()


@pytest.mark.django_db
def test_api_never_shows_secrets(staff_api, make_cluster):
    make_cluster("basic-a", password=SECRET, username="ops")
    make_cluster("bearer-b", bearer_token=TOKEN)
    for url in ("/api/v1/clusters", "/api/v1/clusters/basic-a", "/api/v1/clusters/bearer-b"):
        body = staff_api.get(url).content.decode()
        assert SECRET not in body and TOKEN not in body
        assert "password" not in body and "bearer_token" not in body


@pytest.mark.django_db
def test_check_clusters_output_and_logs_never_show_secrets(make_cluster, caplog):
    make_cluster("basic-a", password=SECRET, username="ops")
    make_cluster("bearer-b", bearer_token=TOKEN)
    out, err = StringIO(), StringIO()
    caplog.set_level(logging.DEBUG)
    with pytest.raises(CommandError) as excinfo:
        call_command("check_clusters", stdout=out, stderr=err)
    everything = out.getvalue() + err.getvalue() + str(excinfo.value) + caplog.text
    assert "basic-a" in out.getvalue()
    assert SECRET not in everything
    assert TOKEN not in everything


@pytest.mark.django_db
def test_rotation_reencrypts_under_the_newest_key(settings, make_cluster):
    old_key = settings.KCLOUD_CREDENTIALS_KEYS[0]
    cluster = make_cluster("basic-a", password=SECRET, username="ops")
    before = Cluster.objects.get(pk=cluster.pk)._password
    new_key = Fernet.generate_key().decode()
    settings.KCLOUD_CREDENTIALS_KEYS = [new_key, old_key]
    call_command("rotate_credentials", stdout=StringIO())
    after = Cluster.objects.get(pk=cluster.pk)._password
    assert after != before
    settings.KCLOUD_CREDENTIALS_KEYS = [new_key]  # the old key is gone now
    assert Cluster.objects.get(pk=cluster.pk).password == SECRET
    settings.KCLOUD_CREDENTIALS_KEYS = [old_key]
    with pytest.raises(crypto.CredentialDecryptionError):
        _ = Cluster.objects.get(pk=cluster.pk).password


@pytest.mark.django_db
def test_rotation_also_reencrypts_webhook_urls(settings):
    from monitoring.models import NotificationChannel

    old_key = settings.KCLOUD_CREDENTIALS_KEYS[0]
    channel = NotificationChannel(name="slack", kind="webhook")
    channel.url = "https://hooks.example.com/services/secret"
    channel.save()
    new_key = Fernet.generate_key().decode()
    settings.KCLOUD_CREDENTIALS_KEYS = [new_key, old_key]
    out = StringIO()
    call_command("rotate_credentials", stdout=out)
    assert "1 notification channel" in out.getvalue()
    settings.KCLOUD_CREDENTIALS_KEYS = [new_key]
    assert NotificationChannel.objects.get(pk=channel.pk).url == "https://hooks.example.com/services/secret"


def test_repr_has_no_credentials():
    cluster = Cluster(name="x", prometheus_url="http://127.0.0.1:9")
    cluster.password = SECRET
    assert SECRET not in repr(cluster) and cluster._password not in repr(cluster)
