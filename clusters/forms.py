"""Admin form for clusters: credentials are write-only.

The form never renders a stored secret back into the page. An empty password
or token field keeps what is stored; the "clear" box removes it. The plaintext
only passes through ``Cluster.password``/``bearer_token`` setters, which encrypt.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from clusters.models import Cluster


class ClusterAdminForm(forms.ModelForm):
    """ModelForm plus write-only credential inputs."""

    # Explicit scheme default (Django 6 changes it); the model field's validators still run.
    prometheus_url = forms.URLField(
        max_length=500,
        assume_scheme="https",
        help_text=Cluster._meta.get_field("prometheus_url").help_text,
    )
    new_password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Write-only. Leave empty to keep the stored password."),
    )
    clear_password = forms.BooleanField(label=_("Remove stored password"), required=False)
    new_bearer_token = forms.CharField(
        label=_("Bearer token"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Write-only. Leave empty to keep the stored token."),
    )
    clear_bearer_token = forms.BooleanField(label=_("Remove stored bearer token"), required=False)

    class Meta:
        model = Cluster
        fields = (
            "name",
            "display_name",
            "description",
            "region",
            "enabled",
            "prometheus_url",
            "label_selector",
            "timeout_seconds",
            "verify_tls",
            "ca_bundle",
            "auth_type",
            "username",
            "carbon_intensity_g_per_kwh",
            "electricity_price_per_kwh",
            "currency",
            "design_pue",
            "power_budget_watts",
            "facility_power_query",
        )

    def clean(self):
        data = super().clean()
        auth_type = data.get("auth_type")
        has_password = bool(data.get("new_password")) or (self.instance.has_password and not data.get("clear_password"))
        has_token = bool(data.get("new_bearer_token")) or (
            self.instance.has_bearer_token and not data.get("clear_bearer_token")
        )
        if auth_type == Cluster.AuthType.BASIC and not has_password:
            self.add_error("new_password", _("HTTP Basic needs a password."))
        if auth_type == Cluster.AuthType.BEARER and not has_token:
            self.add_error("new_bearer_token", _("Bearer auth needs a token."))
        return data

    def save(self, commit: bool = True) -> Cluster:
        cluster = super().save(commit=False)
        apply_credentials(
            cluster,
            password=self.cleaned_data.get("new_password") or None,
            clear_password=self.cleaned_data.get("clear_password", False),
            bearer_token=self.cleaned_data.get("new_bearer_token") or None,
            clear_bearer_token=self.cleaned_data.get("clear_bearer_token", False),
        )
        if commit:
            cluster.save()
            self.save_m2m()
        return cluster


def apply_credentials(
    cluster: Cluster,
    *,
    password: str | None = None,
    clear_password: bool = False,
    bearer_token: str | None = None,
    clear_bearer_token: bool = False,
) -> None:
    """Set or clear secrets on a cluster (shared by the admin and ``register_cluster``)."""
    if clear_password:
        cluster.password = ""
    if password:
        cluster.password = password
    if clear_bearer_token:
        cluster.bearer_token = ""
    if bearer_token:
        cluster.bearer_token = bearer_token
