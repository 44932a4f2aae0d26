"""Admin for access: API tokens (the key shown once), groups with their cluster scope, the audit trail.

Roles are the ``viewer``/``operator``/``admin`` groups (:mod:`kcloud.auth.roles`):
assign them on the user form. A group's cluster scope is edited with the group.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest

from kcloud.auth.models import ApiToken, AuditEvent, ClusterScope


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
        fields = ("name", "owner", "all_clusters", "clusters")


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
        ("Scope and lifetime", {"fields": ("all_clusters", "clusters", "expires_at")}),
        ("Usage", {"fields": ("created_at", "last_used_at")}),
    )
    add_form = ApiTokenAddForm
    add_fieldsets = ((None, {"fields": ("name", "owner", "all_clusters", "clusters", "expires_days")}),)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiToken]:
        # One query for every row's clusters instead of one per row.
        return super().get_queryset(request).prefetch_related("clusters")

    @admin.display(description="Clusters")
    def cluster_scope(self, token: ApiToken) -> str:
        if token.all_clusters:
            return "All (owner's)"
        names = [cluster.name for cluster in token.clusters.all()]
        return ", ".join(names) if names else "None"

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
            all_clusters=bool(data.get("all_clusters")),
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
        count = _set_enabled(queryset, True)
        self.message_user(request, f"Enabled {count} token(s).", messages.SUCCESS)

    @admin.action(description="Disable selected tokens")
    def disable_tokens(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = _set_enabled(queryset, False)
        self.message_user(request, f"Disabled {count} token(s).", messages.SUCCESS)


def _set_enabled(queryset: QuerySet[ApiToken], enabled: bool) -> int:
    """Save each token (not a bulk update), so every change reaches the audit trail."""
    count = 0
    for token in queryset.exclude(enabled=enabled):
        token.enabled = enabled
        token.save(update_fields=["enabled"])
        count += 1
    return count


class ClusterScopeInline(admin.StackedInline):
    """A group's cluster scope, on the group's page."""

    model = ClusterScope
    can_delete = False
    filter_horizontal = ("clusters",)
    verbose_name_plural = "Cluster scope (which clusters the members see)"


admin.site.unregister(Group)


@admin.register(Group)
class ScopedGroupAdmin(GroupAdmin):
    """Django's group admin with the cluster scope."""

    inlines = (ClusterScopeInline,)
    list_display = ("name", "scope")

    @admin.display(description="Cluster scope")
    def scope(self, group: Group) -> str:
        scope = getattr(group, "cluster_scope", None)
        if scope is None:
            return "—"
        return "All clusters" if scope.all_clusters else ", ".join(c.name for c in scope.clusters.all()) or "None"


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is written by the product, never edited."""

    list_display = ("at", "actor_name", "action", "target_type", "target_repr", "remote_addr")
    list_filter = ("action", "target_type")
    search_fields = ("actor_name", "target_repr", "action")
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
