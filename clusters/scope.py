"""Who is asking: the one way code below the views learns the caller and its scope.

Views, consumers, exports and the health endpoint build a :class:`Principal`
from the request and hand it down; services never look at ``request.user`` or
``request.auth`` themselves, so scoping cannot be forgotten in one place and
remembered in another. The scope (:meth:`Principal.visible_clusters`):

* nobody without the ``read`` permission (:mod:`kcloud.auth.roles`) sees a cluster;
* a superuser sees every enabled cluster; anyone else the union of their groups'
  cluster scopes (all clusters, by an explicit flag, or a list);
* a token narrows that to its own list unless it is explicitly for all clusters;
* an anonymous scrape of ``/metrics/fleet`` from a configured internal network
  (:meth:`Principal.metrics_network`) sees every enabled cluster, and nothing else
  of the API.

Lists are intersections, never "empty means all": deleting a cluster can only
take something away.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from clusters.models import Cluster
from kcloud.api.errors import BadParameter, NotFound
from kcloud.auth.models import ApiToken

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest
    from rest_framework.request import Request

# Same shape as Cluster.name (a SlugField of at most 63 characters). Checked
# before any query so a malformed name is a 400 naming the parameter, not a 404.
_CLUSTER_NAME_RE = re.compile(r"^[-a-zA-Z0-9_]{1,63}$")


@dataclass(frozen=True)
class Principal:
    """The user behind a request and the API token it used, if any."""

    user: Any  # a user model instance or AnonymousUser
    token: ApiToken | None = None
    every_cluster: bool = False  # only the metrics network's principal

    @classmethod
    def metrics_network(cls) -> Principal:
        """An anonymous caller from ``KCLOUD_FLEET_METRICS_NETWORKS`` (the fleet metrics only)."""
        from django.contrib.auth.models import AnonymousUser

        return cls(user=AnonymousUser(), every_cluster=True)

    @classmethod
    def from_request(cls, request: Request | HttpRequest) -> Principal:
        """Build the principal of a DRF ``Request`` or a plain Django ``HttpRequest``.

        Only a DRF request can carry a token (``request.auth``); on a plain
        request (session pages) ``auth`` does not exist and the token is None.
        """
        auth = getattr(request, "auth", None)
        return cls(
            user=getattr(request, "user", None),
            token=auth if isinstance(auth, ApiToken) else None,
        )

    def sees_every_cluster(self) -> bool:
        """Whether the visible clusters are all the enabled ones: what fleet-wide objects (budgets,
        rules, report schedules over every cluster) require."""
        visible = set(self.visible_clusters().values_list("pk", flat=True))
        return visible >= set(Cluster.objects.enabled().values_list("pk", flat=True))

    @property
    def is_authenticated(self) -> bool:
        """True for a logged-in user or a token's owner."""
        return self.user is not None and self.user.is_authenticated

    @property
    def is_staff(self) -> bool:
        """Staff see internal details (addresses, error texts); partners see what failed, not where."""
        return self.is_authenticated and bool(getattr(self.user, "is_staff", False))

    def visible_clusters(self) -> QuerySet[Cluster]:
        """Enabled clusters this principal may see (see the module docstring)."""
        from kcloud.auth import roles
        from kcloud.auth.models import ClusterScope

        user = self.user
        if self.every_cluster:
            return Cluster.objects.enabled()
        if not roles.can_read(user):
            return Cluster.objects.none()
        clusters = Cluster.objects.enabled()
        if not user.is_superuser:
            scopes = ClusterScope.objects.filter(group__user=user)
            if not scopes.filter(all_clusters=True).exists():
                clusters = clusters.filter(pk__in=scopes.values("clusters"))
        if self.token is not None and not self.token.all_clusters:
            clusters = clusters.filter(pk__in=self.token.clusters.values("pk"))
        return clusters

    def __str__(self) -> str:
        # For log lines: never the key, only its prefix.
        who = getattr(self.user, "get_username", lambda: "anonymous")()
        return f"{who} via token {self.token.prefix}…" if self.token else str(who)


def select_clusters(principal: Principal, names: list[str] | None) -> list[Cluster]:
    """Resolve the ``cluster`` filter of a request into visible clusters.

    No names (None or empty) means every visible cluster. Otherwise each name
    must be a visible cluster, in the order asked, duplicates dropped. A name
    that does not exist and one outside the principal's scope get the same 404,
    so a scoped token cannot learn which other clusters exist.

    Raises :class:`~kcloud.api.errors.BadParameter` for a malformed name and
    :class:`~kcloud.api.errors.NotFound` for an unknown or invisible one.
    """
    visible = principal.visible_clusters()
    if not names:
        return list(visible)

    wanted: list[str] = []
    for name in names:
        if not isinstance(name, str) or not _CLUSTER_NAME_RE.match(name):
            # Do not echo arbitrary input back at length.
            shown = repr(name)[:70]
            raise BadParameter("cluster", f"{shown} is not a cluster name (letters, digits, '-' and '_').")
        if name not in wanted:
            wanted.append(name)

    found = {cluster.name: cluster for cluster in visible.filter(name__in=wanted)}
    for name in wanted:
        if name not in found:
            raise NotFound(f"Unknown cluster: {name}", details={"cluster": name})
    return [found[name] for name in wanted]
