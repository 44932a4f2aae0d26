"""Who may do what: API tokens, roles (permissions) and cluster scopes of groups, and the audit trail.

* :class:`ApiToken` - a partner's or script's key, hashed at rest, expiring, scoped
  to all of its owner's clusters or to a list (an explicit flag: never "empty
  means all", so deleting clusters cannot widen a token).
* :class:`Access` - the three permissions roles are made of (``read``,
  ``operate``, ``administer``); :mod:`kcloud.auth.roles` makes the groups.
* :class:`ClusterScope` - which clusters the members of a group may see.
* :class:`AuditEvent` - who changed the registry, tokens or roles, when, from where.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from kcloud.auth import keys

#: ``last_used_at`` is a hint for humans ("is this token still in use?"), not an
#: audit log: writing it on every request would turn every read into a write.
LAST_USED_RESOLUTION = timedelta(seconds=60)


class ApiTokenQuerySet(models.QuerySet):
    """Queries over tokens."""

    def usable(self) -> ApiTokenQuerySet:
        """Enabled, unexpired tokens whose owner is active."""
        now = timezone.now()
        return self.filter(enabled=True, owner__is_active=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )

    def find_by_key(self, key: str) -> ApiToken | None:
        """Return the token whose key is ``key`` (usable or not), or None.

        The lookup goes through the unique index on ``key_hash``. We then compare
        the digests again with ``hmac.compare_digest``: the indexed lookup cannot
        leak anything useful (an attacker does not control the hash), but the
        explicit constant-time check keeps the match exact whatever the database
        collation does with case or trailing spaces.
        """
        if not keys.looks_like_key(key):
            return None
        digest = keys.hash_key(key)
        token = self.select_related("owner").filter(key_hash=digest).first()
        if token is None or not keys.hashes_match(token.key_hash, digest):
            return None
        return token


class ApiToken(models.Model):
    """A key a partner or script sends as ``Authorization: Token <key>``.

    Only the sha256 of the key is stored (``key_hash``); the plaintext is shown
    once, when the token is issued. ``prefix`` (the first characters of the key)
    lets people tell tokens apart. A token acts as its ``owner``, narrowed to
    ``clusters`` unless ``all_clusters`` is set (an empty list sees nothing).
    """

    name = models.CharField(max_length=100, help_text="What this token is for, e.g. 'billing export'.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        help_text="The token acts as this user.",
    )
    prefix = models.CharField(
        max_length=keys.DISPLAY_PREFIX_LENGTH,
        db_index=True,
        editable=False,
        help_text="First characters of the key, to recognise it.",
    )
    # Unique gives the index the authentication lookup needs; a collision of
    # two random 256-bit keys would be a bug worth failing loudly on.
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    all_clusters = models.BooleanField(
        default=False,
        help_text="The token sees every cluster its owner may see. Otherwise only the clusters listed.",
    )
    clusters = models.ManyToManyField(
        "clusters.Cluster",
        blank=True,
        related_name="api_tokens",
        help_text="The clusters the token sees (within its owner's) when it is not for all clusters.",
    )
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty means the token never expires.")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "API token"
        verbose_name_plural = "API tokens"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def __repr__(self) -> str:
        # The prefix is the only key material that may appear in logs.
        return f"<ApiToken {self.pk} {self.prefix}…>"

    # --- issuing ----------------------------------------------------------------
    @classmethod
    def issue(
        cls,
        owner,
        name: str,
        clusters: Iterable[models.Model] = (),  # Cluster rows
        expires_days: int | None = None,
        all_clusters: bool | None = None,
    ) -> tuple[ApiToken, str]:
        """Create a token and return it with its plaintext key.

        This is the only moment the key exists in clear: the caller must hand it
        to the person who asked for it, then forget it. ``all_clusters`` defaults
        to "no clusters listed", decided and stored now: the flag, not the list's
        emptiness, is what later scoping reads.
        """
        name = (name or "").strip()
        if not name:
            raise ValueError("A token needs a name.")
        if expires_days is not None and expires_days < 1:
            raise ValueError("expires_days must be at least 1.")
        key = keys.generate_key()
        clusters = list(clusters)
        token = cls(
            owner=owner,
            name=name,
            prefix=keys.display_prefix(key),
            key_hash=keys.hash_key(key),
            expires_at=timezone.now() + timedelta(days=expires_days) if expires_days else None,
            all_clusters=not clusters if all_clusters is None else all_clusters,
        )
        token.save()
        if clusters:
            token.clusters.set(clusters)
        return token, key

    # --- state ------------------------------------------------------------------
    @property
    def restricts_clusters(self) -> bool:
        """True when the token is limited to its list of clusters (which may be empty)."""
        return not self.all_clusters

    @property
    def is_expired(self) -> bool:
        """True once ``expires_at`` has passed."""
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        """True when the token may authenticate: enabled, unexpired, owner active."""
        return self.enabled and not self.is_expired and self.owner.is_active

    def touch(self, now: datetime | None = None) -> bool:
        """Record a use, at most once per minute; True when the row was written.

        A conditional queryset ``update()`` writes only ``last_used_at`` (never
        the whole row, so a concurrent admin edit is not overwritten) and only
        when the stored value is still old, so parallel requests do not all write.
        """
        now = now or timezone.now()
        threshold = now - LAST_USED_RESOLUTION
        if self.last_used_at is not None and self.last_used_at > threshold:
            return False
        written = (
            type(self)
            .objects.filter(pk=self.pk)
            .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=threshold))
            .update(last_used_at=now)
        )
        self.last_used_at = now
        return bool(written)


class Access(models.Model):
    """The permissions roles are made of (no table: a holder for them).

    ``read``: pages and the read API; ``operate``: also exports, reports and live
    streams; ``administer``: the cluster registry, tokens and users (with the
    matching model permissions). :mod:`kcloud.auth.roles` gives the groups.
    """

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("read", "Read dashboards and the API"),
            ("operate", "Download exports and reports, watch live streams"),
            ("administer", "Manage the cluster registry, API tokens and users"),
        ]

    def __str__(self) -> str:
        return "access"


class ClusterScope(models.Model):
    """Which clusters the members of a group may see: all of them, or a list.

    A user sees the union of their groups' scopes (a superuser sees every
    cluster). A group without a scope, or with an empty list, gives nothing.
    """

    group = models.OneToOneField("auth.Group", on_delete=models.CASCADE, related_name="cluster_scope")
    all_clusters = models.BooleanField(default=False, help_text="Members see every cluster, present and future.")
    clusters = models.ManyToManyField(
        "clusters.Cluster", blank=True, related_name="group_scopes", help_text="Otherwise, only these."
    )

    class Meta:
        verbose_name = "cluster scope"

    def __str__(self) -> str:
        return f"{self.group.name}: {'all clusters' if self.all_clusters else 'listed clusters'}"


class AuditEvent(models.Model):
    """One change to the registry, a token, a role or a scope: who, what, when, from where.

    ``changes`` holds the changed fields' new values, except secrets (cluster
    credentials, token keys), which are only said to have changed.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, help_text="Kept when the user is deleted; manage.py for commands.")
    action = models.CharField(max_length=40, db_index=True)
    target_type = models.CharField(max_length=40)
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = "audit event"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action} {self.target_repr}"
