"""Shared fixtures: clusters, users, API clients."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from clusters.models import Cluster

# Fixtures that start real Prometheus servers loaded with the demo fleet.
pytest_plugins = ["tests.prometheus_fixtures"]

# A port nothing listens on (discard); connections are refused at once.
CLOSED_URL = "http://127.0.0.1:9"


@pytest.fixture(autouse=True)
def _clear_cache():
    """Tests must not see each other's cached Prometheus answers or throttle counters."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_clients():
    """Pooled per-cluster sessions must not leak between tests."""
    from clusters.prometheus.client import reset_clients

    reset_clients()
    yield
    reset_clients()


@pytest.fixture
def make_cluster(db):
    def make(name: str = "seoul-a", url: str = CLOSED_URL, **fields) -> Cluster:
        fields.setdefault("timeout_seconds", 2.0)
        password = fields.pop("password", None)
        token = fields.pop("bearer_token", None)
        cluster = Cluster(name=name, prometheus_url=url, **fields)
        if password:
            cluster.auth_type = Cluster.AuthType.BASIC
            cluster.password = password
        if token:
            cluster.auth_type = Cluster.AuthType.BEARER
            cluster.bearer_token = token
        cluster.full_clean()
        cluster.save()
        return cluster

    return make


@pytest.fixture
def staff_user(django_user_model):
    """A staff account with the operator role over every cluster (what an operations team member has)."""
    from kcloud.auth import roles

    user = django_user_model.objects.create_user("staff", password="staff-pass-1234", is_staff=True)
    roles.grant(user, roles.OPERATOR, all_clusters=True)
    return user


@pytest.fixture
def partner_user(django_user_model):
    """A partner's account (not staff): the viewer role over every cluster, reached with tokens."""
    from kcloud.auth import roles

    user = django_user_model.objects.create_user("partner", password="partner-pass-1234")
    roles.grant(user, roles.VIEWER, all_clusters=True)
    return user


@pytest.fixture
def partner_operator(django_user_model):
    """A partner's account (not staff) with the operator role: exports, reports and live streams by token."""
    from kcloud.auth import roles

    user = django_user_model.objects.create_user("partner-ops", password="partner-pass-1234")
    roles.grant(user, roles.OPERATOR, all_clusters=True)
    return user


@pytest.fixture
def staff_client(client, staff_user):
    """Django's test client logged in as staff (the HTML pages)."""
    client.force_login(staff_user)
    return client


@pytest.fixture
def staff_api(staff_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(staff_user)
    return client


@pytest.fixture
def token_client():
    """``token_client(user, clusters=(), **kw)`` → APIClient sending ``Authorization: Token``."""
    from kcloud.auth.models import ApiToken

    def make(user, clusters=(), **kwargs) -> APIClient:
        _token, key = ApiToken.issue(user, name="test", clusters=clusters, **kwargs)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make


@pytest.fixture
def fleet_clusters(db, fleet_prometheus) -> list[Cluster]:
    """The fleet's clusters registered as an operator would (``registry()``: two via the global querier).

    Goes through ``register_cluster`` so credentials are encrypted as in production.
    """
    from tests.prometheus_fixtures import register_clusters

    return register_clusters(fleet_prometheus.deployment)


@pytest.fixture
def postgres_database():
    """A new, empty PostgreSQL database for the test (its URL); dropped afterwards."""
    import uuid

    import psycopg

    from tests.services import require_postgres

    require_postgres()
    name = f"kcloud_test_{uuid.uuid4().hex[:8]}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgres://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def mail(settings):
    """A real SMTP server (aiosmtpd) the product's e-mail goes to; ``.messages`` are its envelopes."""
    from tests.monitoring.receivers import smtp_server

    with smtp_server() as box:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", box.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.DEFAULT_FROM_EMAIL = "kcloud@example.com"
        yield box
