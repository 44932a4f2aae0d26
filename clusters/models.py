"""The cluster registry: one row per Prometheus-backed cluster."""

from __future__ import annotations

import contextlib
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from clusters import crypto
from clusters.prometheus.promql import Scope, parse_matchers, render_matchers


def validate_prometheus_url(value: str) -> None:
    """An http(s) URL with a host and no embedded credentials, query or fragment."""
    parts = urlsplit(value or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError("Enter an http:// or https:// URL with a host.")
    if parts.username or parts.password:
        # Credentials in the URL would leak into logs and error messages.
        raise ValidationError("Do not put credentials in the URL; use the auth fields.")
    if parts.query or parts.fragment:
        raise ValidationError("The URL must not have a query string or fragment.")


def validate_label_selector(value: str) -> None:
    """PromQL matchers such as ``cluster="seoul-a"`` (optionally in braces)."""
    try:
        parse_matchers(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


class ClusterQuerySet(models.QuerySet):
    """Queries over clusters (who may see which is :mod:`clusters.scope`'s, in one place)."""

    def enabled(self) -> ClusterQuerySet:
        return self.filter(enabled=True)


class Cluster(models.Model):
    """A Kubernetes cluster whose metrics live in a Prometheus-compatible server.

    Credentials are stored encrypted (``_password``/``_bearer_token`` hold
    Fernet tokens); use the ``password``/``bearer_token`` properties.
    """

    class AuthType(models.TextChoices):
        NONE = "none", _("None")
        BASIC = "basic", _("HTTP Basic")
        BEARER = "bearer", _("Bearer token")

    class Status(models.TextChoices):
        UNKNOWN = "unknown", _("Unknown")
        OK = "ok", _("OK")
        ERROR = "error", _("Error")

    name = models.SlugField(max_length=63, unique=True, help_text="Short identifier used in URLs and filters.")
    display_name = models.CharField(max_length=120, blank=True)
    description = models.TextField(blank=True)
    region = models.CharField(max_length=64, blank=True)

    prometheus_url = models.URLField(
        max_length=500,
        validators=[validate_prometheus_url],
        help_text="Base URL of the Prometheus HTTP API, e.g. http://prometheus:9090 (no /api/v1).",
    )
    auth_type = models.CharField(max_length=10, choices=AuthType.choices, default=AuthType.NONE)
    username = models.CharField(max_length=150, blank=True)
    _password = models.TextField(db_column="password_encrypted", blank=True, editable=False)
    _bearer_token = models.TextField(db_column="bearer_token_encrypted", blank=True, editable=False)
    verify_tls = models.BooleanField(default=True)
    ca_bundle = models.TextField(blank=True, help_text="PEM CA certificate(s) for a private CA; empty = system CAs.")
    timeout_seconds = models.FloatField(default=10.0, validators=[MinValueValidator(0.5)])
    label_selector = models.CharField(
        max_length=500,
        blank=True,
        validators=[validate_label_selector],
        help_text='Matchers added to every query, e.g. cluster="seoul-a" for a global querier.',
    )

    carbon_intensity_g_per_kwh = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0)], help_text="Grid carbon intensity, gCO2e per kWh."
    )
    electricity_price_per_kwh = models.DecimalField(
        max_digits=12, decimal_places=6, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(max_length=3, default="KRW", help_text="ISO 4217 code.")
    design_pue = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1.0)],
        help_text="Used when no facility power query is set.",
    )
    facility_power_query = models.TextField(
        blank=True, help_text="PromQL returning the facility's total power in watts (PDU/BMS)."
    )
    power_budget_watts = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="IT power the cluster may draw (contracted or provisioned capacity), in watts; "
        "exported for the 'over its power budget' alert.",
    )
    enabled = models.BooleanField(default=True)

    last_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_ok_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_status = models.CharField(max_length=10, choices=Status.choices, default=Status.UNKNOWN, editable=False)
    last_error = models.TextField(blank=True, editable=False)
    last_latency_ms = models.FloatField(null=True, blank=True, editable=False)
    prometheus_version = models.CharField(max_length=64, blank=True, editable=False)
    capabilities = models.JSONField(default=dict, blank=True, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClusterQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.display_name or self.name

    def __repr__(self) -> str:
        # Never include credentials, even encrypted, in a repr that may reach a log.
        return f"<Cluster {self.name}>"

    # --- credentials (encrypted at rest) -------------------------------------
    @property
    def password(self) -> str:
        return crypto.decrypt(self._password)

    @password.setter
    def password(self, value: str) -> None:
        self._password = crypto.encrypt(value or "")

    @property
    def bearer_token(self) -> str:
        return crypto.decrypt(self._bearer_token)

    @bearer_token.setter
    def bearer_token(self, value: str) -> None:
        self._bearer_token = crypto.encrypt(value or "")

    @property
    def has_password(self) -> bool:
        return bool(self._password)

    @property
    def has_bearer_token(self) -> bool:
        return bool(self._bearer_token)

    def rotate_credentials(self) -> bool:
        """Re-encrypt stored secrets under the newest key; True when something changed."""
        changed = False
        for attr in ("_password", "_bearer_token"):
            old = getattr(self, attr)
            if old:
                setattr(self, attr, crypto.rotate(old))
                changed = True
        return changed

    # --- querying -------------------------------------------------------------
    @property
    def scope(self) -> Scope:
        """The PromQL scope (the cluster's ``label_selector`` matchers)."""
        return Scope.from_text(self.label_selector)

    @property
    def cache_version(self) -> str:
        """Changes whenever the row changes, so cached answers of old settings are not reused."""
        return f"{self.pk}:{self.updated_at.timestamp() if self.updated_at else 0}"

    def clean(self) -> None:
        super().clean()
        if self.auth_type == self.AuthType.BASIC and not self.username:
            raise ValidationError({"username": "HTTP Basic needs a username."})
        if self.label_selector:
            # Store the canonical form so cache keys and displays are stable. An
            # unparsable selector is reported by the field validator already.
            with contextlib.suppress(ValueError):
                self.label_selector = render_matchers(parse_matchers(self.label_selector))
        self.currency = (self.currency or "").upper()
        if len(self.currency) != 3 or not self.currency.isalpha():
            raise ValidationError({"currency": "Use a three-letter ISO 4217 code, e.g. KRW."})
