"""Partner API tokens: hashed at rest, optionally limited to some clusters, expiring."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from kcloud.auth import keys

if TYPE_CHECKING:
    from clusters.models import Cluster

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
    ``clusters`` when that set is not empty.
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
    clusters = models.ManyToManyField(
        "clusters.Cluster",
        blank=True,
        related_name="api_tokens",
        help_text="Limit the token to these clusters; empty means every cluster the owner can see.",
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
        clusters: Iterable[Cluster] = (),
        expires_days: int | None = None,
    ) -> tuple[ApiToken, str]:
        """Create a token and return it with its plaintext key.

        This is the only moment the key exists in clear: the caller must hand it
        to the person who asked for it, then forget it.
        """
        name = (name or "").strip()
        if not name:
            raise ValueError("A token needs a name.")
        if expires_days is not None and expires_days < 1:
            raise ValueError("expires_days must be at least 1.")
        key = keys.generate_key()
        token = cls(
            owner=owner,
            name=name,
            prefix=keys.display_prefix(key),
            key_hash=keys.hash_key(key),
            expires_at=timezone.now() + timedelta(days=expires_days) if expires_days else None,
        )
        token.save()
        clusters = list(clusters)
        if clusters:
            token.clusters.set(clusters)
        # Known without a query now; also drops any stale cached answer.
        token._restricts_clusters = bool(clusters)
        return token, key

    # --- state ------------------------------------------------------------------
    @property
    def restricts_clusters(self) -> bool:
        """True when the token is limited to a set of clusters.

        Cached on the instance: scoping code asks on every cluster lookup of a
        request, and the answer cannot change within one request.
        """
        cached = getattr(self, "_restricts_clusters", None)
        if cached is None:
            prefetched = getattr(self, "_prefetched_objects_cache", {}).get("clusters")
            cached = bool(prefetched) if prefetched is not None else self.clusters.exists()
            self._restricts_clusters = cached
        return cached

    def refresh_from_db(self, *args, **kwargs) -> None:
        """Reload fields and forget the cached cluster-scope answer."""
        self.__dict__.pop("_restricts_clusters", None)
        super().refresh_from_db(*args, **kwargs)

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
