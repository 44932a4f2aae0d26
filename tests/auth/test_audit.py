"""The audit trail: every change to the registry, tokens and roles, with who, when and from where; no secret."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from clusters.models import Cluster
from kcloud.auth import roles
from kcloud.auth.models import ApiToken, AuditEvent

pytestmark = pytest.mark.django_db

SECRET = "s3cret-Pa55word-never-logged"


@pytest.fixture
def root_client(client, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.com", "root-pass-0123456789")
    client.force_login(root)
    return client


def _actions() -> list[str]:
    return list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))


def _no_secret_anywhere() -> None:
    for event in AuditEvent.objects.all():
        assert SECRET not in str(event.changes) and SECRET not in event.target_repr


def test_cluster_lifecycle_through_the_command_and_the_admin(root_client, monkeypatch):
    monkeypatch.setenv("KCLOUD_AUDIT_TEST_PASSWORD", SECRET)
    call_command(
        "register_cluster",
        "seoul-a",
        "--url",
        "http://prom.example:9090",
        "--username",
        "kcloud",
        "--password-env",
        "KCLOUD_AUDIT_TEST_PASSWORD",
        stdout=StringIO(),
    )
    created = AuditEvent.objects.get(action="cluster.created")
    assert created.actor is None and created.actor_name.startswith("manage.py")
    assert created.changes["password"] == "(changed)" and created.changes["name"] == "seoul-a"

    cluster = Cluster.objects.get(name="seoul-a")
    url = reverse("admin:clusters_cluster_change", args=[cluster.pk])
    form = root_client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, (list, dict))}
    data.update(name="seoul-a", prometheus_url="http://prom.example:9090", display_name="Seoul A", new_password="")
    response = root_client.post(url, data, REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 302, response.content.decode()[:2000]
    changed = AuditEvent.objects.filter(action="cluster.changed").latest("pk")
    assert changed.actor_name == "root" and changed.remote_addr == "203.0.113.7"
    assert changed.changes == {"display_name": "Seoul A"}

    cluster.refresh_from_db()
    cluster.password = "another-" + SECRET
    cluster.save()
    assert AuditEvent.objects.latest("pk").action == "credentials.changed"

    # A health probe's bookkeeping is not a change anyone made.
    before = AuditEvent.objects.count()
    cluster.last_status = "ok"
    cluster.last_error = ""
    cluster.save()
    assert AuditEvent.objects.count() == before

    cluster.delete()
    assert AuditEvent.objects.latest("pk").action == "cluster.deleted"
    _no_secret_anywhere()


def test_rotation_is_recorded(settings):
    from cryptography.fernet import Fernet

    cluster = Cluster(name="busan-b", prometheus_url="http://prom.example:9090", auth_type="basic", username="k")
    cluster.password = SECRET
    cluster.save()
    settings.KCLOUD_CREDENTIALS_KEYS = [Fernet.generate_key().decode(), *settings.KCLOUD_CREDENTIALS_KEYS]
    call_command("rotate_credentials", stdout=StringIO())
    assert AuditEvent.objects.latest("pk").action == "credentials.rotated"
    _no_secret_anywhere()


def test_tokens_and_roles(root_client, django_user_model):
    partner = django_user_model.objects.create_user("acme")
    response = root_client.post(
        reverse("admin:kcloud_auth_apitoken_add"),
        {"name": "billing", "owner": partner.pk, "all_clusters": "on"},
        REMOTE_ADDR="198.51.100.4",
    )
    assert response.status_code == 302
    token = ApiToken.objects.get(name="billing")
    created = AuditEvent.objects.get(action="token.created")
    assert created.remote_addr == "198.51.100.4" and token.prefix in created.target_repr
    assert "key_hash" not in created.changes and token.key_hash not in str(created.changes)

    root_client.post(
        reverse("admin:kcloud_auth_apitoken_changelist"),
        {"action": "disable_tokens", "_selected_action": [token.pk]},
    )
    assert AuditEvent.objects.latest("pk").action == "token.revoked"

    roles.grant(partner, roles.OPERATOR)
    event = AuditEvent.objects.filter(action="user.roles_changed").latest("pk")
    assert event.changes == {"added": ["operator"]} and event.target_repr == "acme"
    partner.groups.remove(Group.objects.get(name="operator"))
    assert AuditEvent.objects.latest("pk").changes == {"removed": ["operator"]}


def test_the_trail_is_read_only_in_the_admin(root_client):
    Cluster.objects.create(name="c", prometheus_url="http://prom.example:9090")
    event = AuditEvent.objects.latest("pk")
    changelist = root_client.get(reverse("admin:kcloud_auth_auditevent_changelist"))
    assert changelist.status_code == 200 and "cluster.created" in changelist.content.decode()
    assert root_client.get(reverse("admin:kcloud_auth_auditevent_add")).status_code == 403
    assert root_client.post(reverse("admin:kcloud_auth_auditevent_delete", args=[event.pk])).status_code == 403
