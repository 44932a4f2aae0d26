"""Settings read from the environment: bad values stop start-up naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD = {
    "DEBUG": "0",
    "SECRET_KEY": "k7Qz-2vLp9sXw4mB8nR1tY6uE3oA5cF0hJ-gDiKsVqWxZ-pN4e8rT",
    "KCLOUD_CREDENTIALS_KEY": "dGVzdC1rZXktMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=",
    "ALLOWED_HOSTS": "kcloud.example.com",
    "KCLOUD_VAR_DIR": "var/test-settings",
}


def _load(**overrides: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KCLOUD_", "SECURE_", "DEBUG", "SECRET"))}
    env.update(GOOD)
    env.update(overrides)
    env["DJANGO_SETTINGS_MODULE"] = "kcloud.settings"
    code = (
        "import django; django.setup(); from django.conf import settings;print(settings.DATABASES['default']['ENGINE'])"
    )
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_good_production_values_load():
    result = _load()
    assert result.returncode == 0, result.stderr
    assert "sqlite3" in result.stdout


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DEBUG", "maybe"),
        ("SECRET_KEY", ""),
        ("SECRET_KEY", "short"),
        ("KCLOUD_CREDENTIALS_KEY", "not-a-fernet-key"),
        ("KCLOUD_CREDENTIALS_KEY", ""),
        ("ALLOWED_HOSTS", ""),
        ("DATABASE_URL", "nosuchscheme://x"),
        ("REDIS_URL", "http://127.0.0.1:6379"),
        ("KCLOUD_FANOUT_WORKERS", "many"),
        ("KCLOUD_FANOUT_WORKERS", "0"),
        ("KCLOUD_THROTTLE_TOKEN", "fast"),
        ("SECURE_SSL_REDIRECT", "sometimes"),
        ("CSRF_TRUSTED_ORIGINS", "kcloud.example.com"),
        ("LOG_LEVEL", "LOUD"),
    ],
)
def test_bad_value_fails_naming_the_variable(variable, value):
    result = _load(**{variable: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr.strip().splitlines()[-1]


def test_debug_allows_dev_defaults():
    result = _load(DEBUG="1", SECRET_KEY="", KCLOUD_CREDENTIALS_KEY="", ALLOWED_HOSTS="")
    assert result.returncode == 0, result.stderr


def test_redis_url_switches_cache_and_channel_layer():
    env_code = (
        "import django; django.setup(); from django.conf import settings;"
        "print(settings.CACHES['default']['BACKEND']); print(settings.CHANNEL_LAYERS['default']['BACKEND'])"
    )
    env = {**os.environ, **GOOD, "REDIS_URL": "redis://127.0.0.1:6379/3", "DJANGO_SETTINGS_MODULE": "kcloud.settings"}
    out = subprocess.run([sys.executable, "-c", env_code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "django_redis" in out.stdout
    assert "channels_redis" in out.stdout


def test_check_deploy_is_clean_with_production_values():
    env = {**os.environ, **GOOD}
    # The browser tests' process-wide async override is not a deployment setting.
    for key in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(key, None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
