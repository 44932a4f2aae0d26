"""Shared fixtures for the auth tests."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from clusters.models import Cluster


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle history lives in the cache: every test starts with empty buckets."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def alice(django_user_model):
    """A partner account: the viewer role over every cluster (tokens narrow it)."""
    from kcloud.auth import roles

    user = django_user_model.objects.create_user("alice", password="not-used-0123")
    roles.grant(user, roles.VIEWER, all_clusters=True)
    return user


@pytest.fixture
def cluster_a() -> Cluster:
    return Cluster.objects.create(name="a", prometheus_url="http://127.0.0.1:9")


@pytest.fixture
def cluster_b() -> Cluster:
    return Cluster.objects.create(name="b", prometheus_url="http://127.0.0.1:9")
