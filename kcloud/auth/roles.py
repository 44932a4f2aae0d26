"""Roles: Django groups made of the :class:`~kcloud.auth.models.Access` permissions.

=========  ==================================================================
viewer     pages and the read API
operator   also exports, reports and live streams
admin      also the cluster registry, API tokens, users, groups and the audit
           trail (the Django admin's model permissions for them)
=========  ==================================================================

Superusers are admins. A role says *what* a person may do; *which clusters* comes
from their groups' cluster scopes (:class:`~kcloud.auth.models.ClusterScope`),
applied in one place, :mod:`clusters.scope`. The groups are (re)made after every
``migrate`` (:func:`ensure_roles`), so a deployment cannot lose them.
"""

from __future__ import annotations

from typing import Any

VIEWER, OPERATOR, ADMIN = "viewer", "operator", "admin"
ROLES = (VIEWER, OPERATOR, ADMIN)
READ, OPERATE, ADMINISTER = "kcloud_auth.read", "kcloud_auth.operate", "kcloud_auth.administer"
# The scope group every existing account was put in when scopes came (all clusters, as before).
ALL_CLUSTERS_GROUP = "all clusters"

_ACCESS = {VIEWER: ("read",), OPERATOR: ("read", "operate"), ADMIN: ("read", "operate", "administer")}
# Model permissions of the admin role: (app label, model) -> actions.
_ADMIN_MODELS = {
    ("clusters", "cluster"): ("add", "change", "delete", "view"),
    ("kcloud_auth", "apitoken"): ("add", "change", "delete", "view"),
    ("kcloud_auth", "clusterscope"): ("add", "change", "delete", "view"),
    ("kcloud_auth", "auditevent"): ("view",),
    ("auth", "user"): ("add", "change", "delete", "view"),
    ("auth", "group"): ("add", "change", "delete", "view"),
    ("monitoring", "budget"): ("add", "change", "delete", "view"),
    ("monitoring", "alertrule"): ("add", "change", "delete", "view"),
    ("monitoring", "alert"): ("change", "view"),
    ("monitoring", "notificationchannel"): ("add", "change", "delete", "view"),
    ("monitoring", "notification"): ("view",),
    ("monitoring", "evaluationrun"): ("view",),
    ("exports", "reportschedule"): ("add", "change", "delete", "view"),
    ("exports", "archivedreport"): ("view",),
}


def can(user: Any, permission: str) -> bool:
    """Whether ``user`` (active, authenticated) has ``permission``; superusers have every one."""
    return bool(user is not None and user.is_authenticated and user.is_active and user.has_perm(permission))


def can_read(user: Any) -> bool:
    return can(user, READ)


def can_operate(user: Any) -> bool:
    return can(user, OPERATE)


def can_administer(user: Any) -> bool:
    return can(user, ADMINISTER)


def role_of(user: Any) -> str | None:
    """The highest role ``user`` has (for display), or None."""
    for role, check in ((ADMIN, can_administer), (OPERATOR, can_operate), (VIEWER, can_read)):
        if check(user):
            return role
    return None


def ensure_roles(**_kwargs: Any) -> None:
    """Create (or repair) the three role groups with their permissions; idempotent (post_migrate)."""
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    from kcloud.auth.models import Access, ClusterScope

    access_type = ContentType.objects.get_for_model(Access, for_concrete_model=False)
    access = {
        codename: Permission.objects.get_or_create(
            content_type=access_type, codename=codename, defaults={"name": name}
        )[0]
        for codename, name in Access._meta.permissions
    }
    model_perms = [
        perm
        for (app, model), actions in _ADMIN_MODELS.items()
        for perm in Permission.objects.filter(
            content_type__app_label=app, content_type__model=model, codename__in=[f"{a}_{model}" for a in actions]
        )
    ]
    for role, codenames in _ACCESS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = [access[c] for c in codenames] + (model_perms if role == ADMIN else [])
        group.permissions.set(wanted)
    scope_group, _ = Group.objects.get_or_create(name=ALL_CLUSTERS_GROUP)
    ClusterScope.objects.get_or_create(group=scope_group, defaults={"all_clusters": True})


def grant(user: Any, role: str, *, all_clusters: bool = False) -> None:
    """Put ``user`` in ``role`` (and, with ``all_clusters``, in the all-clusters scope group)."""
    from django.contrib.auth.models import Group

    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    ensure_roles()
    user.groups.add(Group.objects.get(name=role))
    if all_clusters:
        user.groups.add(Group.objects.get(name=ALL_CLUSTERS_GROUP))
