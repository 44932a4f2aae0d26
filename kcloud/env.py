"""Typed readers for environment variables that fail loudly on bad values.

Settings are read once, at start-up. A typo in a deployment's environment must
stop the process with a message naming the variable, not surface later as a
strange behaviour, so every reader here raises ``ImproperlyConfigured``.
"""

from __future__ import annotations

import os
import re

import environ
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_RATE_RE = re.compile(r"^\d+/(s|sec|second|m|min|minute|h|hour|d|day)$")


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    return value.strip() if value is not None else None


def env_str(name: str, default: str | None = None) -> str | None:
    """Return the variable as a stripped string, or ``default`` when unset/empty."""
    value = _raw(name)
    return value if value else default


def env_bool(name: str, default: bool) -> bool:
    """Parse 1/0, true/false, yes/no, on/off (any case)."""
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean; use 1/0, true/false, yes/no or on/off.")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Parse an integer within optional bounds."""
    value = _raw(name)
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} is below the minimum {minimum}.")
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"{name}={number} is above the maximum {maximum}.")
    return number


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """Parse a comma-separated list, dropping blanks."""
    value = _raw(name)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def env_networks(name: str) -> list:
    """Parse a comma-separated list of IP networks (``10.0.0.0/8, 192.168.1.7``)."""
    import ipaddress

    networks = []
    for item in env_list(name):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {item!r} is not an IP address or network.") from None
    return networks


def env_rate(name: str, default: str) -> str:
    """Parse a DRF throttle rate such as ``120/min``."""
    value = _raw(name) or default
    if not _RATE_RE.match(value):
        raise ImproperlyConfigured(f"{name}={value!r} is not a rate like '120/min' (units: s, min, hour, day).")
    return value


def env_database(name: str, default: str) -> dict:
    """Parse a database URL (sqlite:///path, postgres://user@host/db)."""
    value = _raw(name) or default
    scheme = value.split("://", 1)[0] if "://" in value else ""
    if scheme not in environ.Env.DB_SCHEMES:
        raise ImproperlyConfigured(f"{name} has an unsupported scheme {scheme!r}; use sqlite:/// or postgres://.")
    try:
        config = environ.Env.db_url_config(value)
    except Exception as exc:  # django-environ raises several types for bad URLs
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise ImproperlyConfigured(f"{name} is not a valid database URL ({first_line}).") from None
    if not config.get("ENGINE"):
        raise ImproperlyConfigured(f"{name} has an unsupported scheme.")
    return config


def env_redis_url(name: str) -> str | None:
    """Return a redis:// or rediss:// URL, or None when unset."""
    value = _raw(name)
    if not value:
        return None
    if not re.match(r"^rediss?://[^\s]+$", value):
        raise ImproperlyConfigured(f"{name} must be a redis:// or rediss:// URL.")
    return value
