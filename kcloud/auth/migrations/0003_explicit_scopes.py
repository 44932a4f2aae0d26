"""Scopes become explicit; roles become groups. Nobody's access changes on upgrade.

* A token without clusters meant "all of its owner's": it gets ``all_clusters``.
* Every account could read every cluster: the role groups and an "all clusters"
  scope group are made, staff accounts join ``operator`` and non-staff accounts
  (partners, who use tokens) ``viewer``, and both the scope group. Superusers
  need no group. Permissions are attached after migrating
  (:func:`kcloud.auth.roles.ensure_roles`, on ``post_migrate``).
"""

from __future__ import annotations

from django.db import migrations

ALL_CLUSTERS_GROUP = "all clusters"


def forwards(apps, schema_editor):
    ApiToken = apps.get_model("kcloud_auth", "ApiToken")
    ClusterScope = apps.get_model("kcloud_auth", "ClusterScope")
    Group = apps.get_model("auth", "Group")
    User = apps.get_model("auth", "User")

    for token in ApiToken.objects.all():
        if not token.clusters.exists():
            token.all_clusters = True
            token.save(update_fields=["all_clusters"])

    groups = {name: Group.objects.get_or_create(name=name)[0] for name in ("viewer", "operator", "admin")}
    everything, _ = Group.objects.get_or_create(name=ALL_CLUSTERS_GROUP)
    ClusterScope.objects.get_or_create(group=everything, defaults={"all_clusters": True})
    for user in User.objects.filter(is_superuser=False):
        user.groups.add(groups["operator" if user.is_staff else "viewer"], everything)


class Migration(migrations.Migration):
    dependencies = [
        ("kcloud_auth", "0002_roles_scopes_audit"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
