"""The audit trail: who created, changed or deleted a cluster or a token, or changed a role, when, from where.

Recorded from model signals, so every way of changing things is covered: the
admin, the management commands, the shell. The actor and address of the
current request are set by :class:`AuditContextMiddleware`; outside a request the
actor is the command line (``manage.py`` and the OS user). Secrets never enter the
trail: credential fields and token keys are only said to have changed.

Events: ``cluster.created|changed|deleted``, ``credentials.changed`` (a cluster's
password or bearer token set), ``credentials.rotated`` (re-encryption under a new
key), ``token.created|changed|revoked|deleted``, ``token.scope_changed``,
``user.roles_changed`` (a user's groups), ``group.permissions_changed``,
``scope.changed`` (a group's cluster scope).
"""

from __future__ import annotations

import getpass
import logging
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

logger = logging.getLogger(__name__)

SECRET_FIELDS = {"_password", "_bearer_token"}


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user (or none) with a name, and the client address of the request."""

    user: Any
    name: str
    remote_addr: str | None


_actor: ContextVar[Actor | None] = ContextVar("kcloud_audit_actor", default=None)


def current_actor() -> Actor:
    actor = _actor.get()
    if actor is not None:
        return actor
    try:
        who = getpass.getuser()
    except Exception:  # no user name in a container: still a command line
        who = "unknown"
    return Actor(None, f"manage.py ({who})", None)


def record(action: str, target: Any, changes: dict | None = None) -> None:
    """Write one event about ``target`` (a model instance) now."""
    from kcloud.auth.models import AuditEvent

    actor = current_actor()
    user = actor.user if actor.user is not None and getattr(actor.user, "pk", None) else None
    AuditEvent.objects.create(
        actor=user,
        actor_name=actor.name[:150],
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk or ""),
        target_repr=str(target)[:200],
        changes=changes or {},
        remote_addr=actor.remote_addr,
    )


class AuditContextMiddleware:
    """Make the request's user and address the actor of whatever it changes."""

    def __init__(self, get_response: Callable):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        authenticated = user is not None and user.is_authenticated
        name = user.get_username() if authenticated else "anonymous"
        token = _actor.set(Actor(user if authenticated else None, name, request.META.get("REMOTE_ADDR")))
        try:
            return self.get_response(request)
        finally:
            _actor.reset(token)


# -- what changed -------------------------------------------------------------------------------
def _value(instance: Any, field: Any) -> Any:
    value = getattr(instance, field.attname)
    return value if isinstance(value, (bool, int, float, str, type(None))) else str(value)


def _diff(before: Any, after: Any) -> dict:
    changes = {}
    for field in after._meta.concrete_fields:
        name = field.name
        # Fields no form edits (the health probe's, the clock's, a token's hash) are not a
        # person's doing: not audit events. Credentials are stored encrypted in such fields
        # and set through their properties, so they are audited (as "changed", never a value).
        if field.primary_key or (not field.editable and name not in SECRET_FIELDS):
            continue
        new = _value(after, field)
        old = None if before is None else _value(before, field)
        if before is not None and old == new:
            continue
        if name in SECRET_FIELDS:
            if before is not None or new:
                changes[name.lstrip("_")] = "(changed)"  # never the value, encrypted or not
        elif before is not None or new not in (None, ""):
            changes[name] = new
    return changes


def _remember(sender, instance, raw=False, **_kwargs) -> None:
    if raw or instance.pk is None:
        instance._audit_before = None
        return
    instance._audit_before = sender._default_manager.filter(pk=instance.pk).first()


def _saved(kind: str):
    def handler(sender, instance, created, raw=False, **_kwargs) -> None:
        if raw:
            return
        changes = _diff(getattr(instance, "_audit_before", None), instance)
        if not created and not changes:
            return  # only the probe's or the clock's fields moved
        if created:
            action = f"{kind}.created"
        elif kind == "cluster" and set(changes) <= {"password", "bearer_token"}:
            action = "credentials.changed"
        elif kind == "token" and changes.get("enabled") is False:
            action = "token.revoked"
        else:
            action = f"{kind}.changed"
        record(action, instance, changes)

    return handler


def _deleted(kind: str):
    def handler(sender, instance, **_kwargs) -> None:
        record(f"{kind}.deleted", instance)

    return handler


_M2M_ACTIONS = {"post_add": "added", "post_remove": "removed", "post_clear": "cleared"}


def _members(event: str, names: Callable[[set], list]):
    def handler(sender, instance, action: str = "", pk_set=None, reverse=False, **_kwargs) -> None:
        what = _M2M_ACTIONS.get(action)
        if what is None or reverse:
            return  # reverse: changed from the other side, which the forms here do not do
        record(event, instance, {what: names(pk_set or set())})

    return handler


def _named(model_path: str, attr: str) -> Callable[[set], list]:
    def names(pks: set) -> list:
        from django.apps import apps

        model = apps.get_model(model_path)
        return sorted(str(getattr(o, attr)) for o in model._default_manager.filter(pk__in=pks))

    return names


def track(model: type, kind: str) -> None:
    """Record creation, changes and deletion of ``model``'s rows as ``<kind>.created`` etc.

    Apps register their own models from ``AppConfig.ready`` (the cluster registry
    does), so this module need not know them.
    """
    pre_save.connect(_remember, sender=model, dispatch_uid=f"audit-pre-{kind}")
    post_save.connect(_saved(kind), sender=model, dispatch_uid=f"audit-save-{kind}", weak=False)
    post_delete.connect(_deleted(kind), sender=model, dispatch_uid=f"audit-delete-{kind}", weak=False)


def connect() -> None:
    """Connect the signal handlers of the access models (``AppConfig.ready``)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from kcloud.auth.models import ApiToken, ClusterScope

    user_model = get_user_model()
    track(ApiToken, "token")
    track(ClusterScope, "scope")
    memberships = [
        ("user.roles_changed", user_model.groups.through, "auth.Group", "name"),
        ("group.permissions_changed", Group.permissions.through, "auth.Permission", "codename"),
        ("token.scope_changed", ApiToken.clusters.through, "clusters.Cluster", "name"),
        ("scope.changed", ClusterScope.clusters.through, "clusters.Cluster", "name"),
    ]
    for event, through, model_path, attr in memberships:
        m2m_changed.connect(
            _members(event, _named(model_path, attr)), sender=through, dispatch_uid=f"audit-{event}", weak=False
        )
