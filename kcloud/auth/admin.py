"""Admin for API tokens: issue, scope, enable/disable. The key is shown once, on creation."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from kcloud.auth.models import ApiToken


class ApiTokenAddForm(forms.ModelForm):
    """The "add" form: what :meth:`ApiToken.issue` needs, nothing more."""

    expires_days = forms.IntegerField(
        required=False,
        min_value=1,
        label="Expires in (days)",
        help_text="Empty means the token never expires.",
    )

    class Meta:
        model = ApiToken
        fields = ("name", "owner", "clusters")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created through ``ApiToken.issue`` and their key is shown once.

    ``key_hash`` is excluded everywhere: it is not a secret a person can use,
    but there is no reason to show it, and hiding it keeps the rule simple.
    """

    list_display = ("name", "owner", "prefix", "cluster_scope", "expires_at", "enabled", "last_used_at")
    list_filter = ("enabled", "owner")
    search_fields = ("name", "prefix")
    list_select_related = ("owner",)
    exclude = ("key_hash",)
    readonly_fields = ("owner", "prefix", "created_at", "last_used_at")
    filter_horizontal = ("clusters",)
    actions = ("enable_tokens", "disable_tokens")
    fieldsets = (
        (None, {"fields": ("name", "owner", "prefix", "enabled")}),
        ("Scope and lifetime", {"fields": ("clusters", "expires_at")}),
        ("Usage", {"fields": ("created_at", "last_used_at")}),
    )
    add_form = ApiTokenAddForm
    add_fieldsets = ((None, {"fields": ("name", "owner", "clusters", "expires_days")}),)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiToken]:
        # One query for every row's clusters instead of one per row.
        return super().get_queryset(request).prefetch_related("clusters")

    @admin.display(description="Clusters")
    def cluster_scope(self, token: ApiToken) -> str:
        names = [cluster.name for cluster in token.clusters.all()]
        return ", ".join(names) if names else "All (owner's)"

    # --- add: go through ApiToken.issue ------------------------------------------
    def get_fieldsets(self, request: HttpRequest, obj: ApiToken | None = None):
        return self.add_fieldsets if obj is None else super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None):
        # The owner is chosen once: moving a token to another user would hand
        # them a key someone else holds.
        return () if obj is None else super().get_readonly_fields(request, obj)

    def get_form(self, request: HttpRequest, obj: ApiToken | None = None, change: bool = False, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change=change, **kwargs)

    def save_form(self, request: HttpRequest, form: forms.ModelForm, change: bool) -> ApiToken:
        if change:
            return super().save_form(request, form, change)
        data = form.cleaned_data
        token, key = ApiToken.issue(
            owner=data["owner"],
            name=data["name"],
            clusters=data.get("clusters") or (),
            expires_days=data.get("expires_days"),
        )
        # Carried on the instance (not the ModelAdmin, which is shared by all
        # requests) until save_model announces it.
        token._plaintext_key = key
        return token

    def save_model(self, request: HttpRequest, obj: ApiToken, form: forms.ModelForm, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        key = obj.__dict__.pop("_plaintext_key")
        # The only place the key is ever shown: it is not stored anywhere.
        messages.success(
            request,
            f"API token “{obj.name}” created. Copy the key now, it will not be shown again: {key}",
        )

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets, change: bool) -> None:
        if change:
            super().save_related(request, form, formsets, change)
        # On add, ApiToken.issue has already set the clusters.

    # --- actions -------------------------------------------------------------------
    @admin.action(description="Enable selected tokens")
    def enable_tokens(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = queryset.update(enabled=True)
        self.message_user(request, f"Enabled {count} token(s).", messages.SUCCESS)

    @admin.action(description="Disable selected tokens")
    def disable_tokens(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = queryset.update(enabled=False)
        self.message_user(request, f"Disabled {count} token(s).", messages.SUCCESS)
