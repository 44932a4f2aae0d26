"""With REDIS_URL: the real Redis serves cache and channel layer; Redis down degrades, never breaks."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.services import require_redis

pytestmark = [pytest.mark.redis, pytest.mark.django_db]


def _redis_settings(settings, url: str) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "kcloud-test",
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }
    settings.DJANGO_REDIS_IGNORE_EXCEPTIONS = True
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [url]}}
    }


def test_health_ok_on_real_redis(settings):
    _redis_settings(settings, require_redis())
    body = APIClient().get("/api/v1/system/health").json()
    assert body["cache"] == "ok" and body["channel_layer"] == "ok" and body["status"] == "ok"


def test_redis_down_is_degraded_not_broken(settings, staff_api, make_cluster):
    _redis_settings(settings, "redis://127.0.0.1:9/0")  # nothing listens there
    make_cluster("seoul-a")
    health = APIClient().get("/api/v1/system/health")
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "degraded" and body["cache"] == "error" and body["channel_layer"] == "error"
    # The API keeps answering from the database and Prometheus.
    assert staff_api.get("/api/v1/clusters").status_code == 200
