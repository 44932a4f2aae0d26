"""API permissions by role (:mod:`kcloud.auth.roles`), and the audience of the answer.

``CanRead`` is every API view's default: the caller (a staff session or a
token's owner) needs the ``read`` permission. Exports, reports and live streams
need ``operate`` (``CanOperate``). Once DRF has authenticated the caller, these
classes also set the answer's audience (:mod:`kcloud.audience`): internal
details for staff only.
"""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from kcloud import audience
from kcloud.auth import roles


class _RolePermission(BasePermission):
    permission: str = roles.READ
    message = "Your account does not have the role this needs."

    def has_permission(self, request, view) -> bool:
        user = request.user
        audience.set_internal(bool(user and user.is_authenticated and user.is_staff))
        return roles.can(user, self.permission)


class CanRead(_RolePermission):
    """Viewer, operator or admin (``kcloud_auth.read``)."""

    permission = roles.READ
    message = "Reading the API needs the viewer role."


class CanOperate(_RolePermission):
    """Operator or admin (``kcloud_auth.operate``): exports, reports, live streams."""

    permission = roles.OPERATE
    message = "Exports, reports and live streams need the operator role."


class CanAdminister(_RolePermission):
    """Admin (``kcloud_auth.administer``): the cluster registry, tokens, notification channels."""

    permission = roles.ADMINISTER
    message = "This needs the admin role."


class Public(BasePermission):
    """Anyone (health, version): the audience stays public unless a staff session is present."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        audience.set_internal(bool(user and user.is_authenticated and user.is_staff))
        return True
