"""ApiToken: key format, hashing at rest, issuing, state, last-use bookkeeping."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kcloud.auth import keys
from kcloud.auth.models import ApiToken

pytestmark = pytest.mark.django_db


def test_issue_returns_a_kc_key_and_stores_only_its_hash(alice):
    token, key = ApiToken.issue(alice, "billing")

    assert key.startswith("kc_")
    assert len(key) >= 40
    assert token.prefix == key[:8]
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.enabled
    assert token.expires_at is None
    assert not token.restricts_clusters


def test_plaintext_key_is_not_in_the_raw_row(alice):
    _, key = ApiToken.issue(alice, "billing")

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM kcloud_auth_apitoken")
        rows = cursor.fetchall()

    assert len(rows) == 1
    dump = " ".join(str(value) for value in rows[0])
    assert key not in dump
    assert key[8:] not in dump  # not even the secret part without the prefix
    assert hashlib.sha256(key.encode()).hexdigest() in dump


def test_two_keys_differ(alice):
    _, first = ApiToken.issue(alice, "one")
    _, second = ApiToken.issue(alice, "two")
    assert first != second


def test_find_by_key(alice):
    token, key = ApiToken.issue(alice, "billing")

    assert ApiToken.objects.find_by_key(key) == token
    assert ApiToken.objects.find_by_key(key + "x") is None
    assert ApiToken.objects.find_by_key("not-a-key") is None
    assert ApiToken.objects.find_by_key("kc_" + "a" * 500) is None


def test_issue_validates_its_arguments(alice):
    with pytest.raises(ValueError, match="name"):
        ApiToken.issue(alice, "  ")
    with pytest.raises(ValueError, match="expires_days"):
        ApiToken.issue(alice, "x", expires_days=0)


def test_expiry_and_usability(alice):
    token, _ = ApiToken.issue(alice, "short", expires_days=1)
    assert token.expires_at > timezone.now() + timedelta(hours=23)
    assert token.is_usable

    token.expires_at = timezone.now() - timedelta(seconds=1)
    assert token.is_expired
    assert not token.is_usable

    token.expires_at = None
    token.enabled = False
    assert not token.is_usable

    token.enabled = True
    alice.is_active = False
    assert not token.is_usable


def test_usable_queryset(alice, django_user_model):
    good, _ = ApiToken.issue(alice, "good")
    ApiToken.issue(alice, "expired", expires_days=1)
    ApiToken.objects.filter(name="expired").update(expires_at=timezone.now() - timedelta(minutes=1))
    disabled, _ = ApiToken.issue(alice, "disabled")
    ApiToken.objects.filter(pk=disabled.pk).update(enabled=False)
    bob = django_user_model.objects.create_user("bob", is_active=False)
    ApiToken.issue(bob, "inactive owner")

    assert list(ApiToken.objects.usable()) == [good]


def test_the_all_clusters_flag_decides_never_an_empty_list(alice, cluster_a, cluster_b):
    scoped, _ = ApiToken.issue(alice, "scoped", clusters=[cluster_a])
    unscoped, _ = ApiToken.issue(alice, "unscoped")
    assert scoped.restricts_clusters and not scoped.all_clusters
    assert unscoped.all_clusters and not unscoped.restricts_clusters  # stored, not inferred later
    # Deleting the token's only cluster leaves it seeing nothing, never everything.
    cluster_a.delete()
    fresh = ApiToken.objects.get(pk=scoped.pk)
    assert fresh.restricts_clusters and not fresh.clusters.exists()
    explicit, _ = ApiToken.issue(alice, "nothing yet", all_clusters=False)
    assert explicit.restricts_clusters


def test_touch_writes_at_most_once_a_minute(alice):
    token, _ = ApiToken.issue(alice, "busy")
    now = timezone.now()

    with CaptureQueriesContext(connection) as queries:
        assert token.touch(now) is True
        assert token.touch(now + timedelta(seconds=30)) is False
    assert sum(query["sql"].startswith("UPDATE") for query in queries.captured_queries) == 1

    # A second instance with a stale in-memory value (another worker) does not write either.
    other = ApiToken.objects.get(pk=token.pk)
    other.last_used_at = None
    assert other.touch(now + timedelta(seconds=30)) is False

    later = now + timedelta(minutes=2)
    assert token.touch(later) is True
    token.refresh_from_db()
    assert token.last_used_at == later


def test_repr_and_str_show_only_the_prefix(alice):
    token, key = ApiToken.issue(alice, "billing")
    assert key not in repr(token)
    assert key not in str(token)
    assert token.prefix in str(token)


def test_key_helpers():
    key = keys.generate_key()
    assert keys.looks_like_key(key)
    assert not keys.looks_like_key("kc_")
    assert keys.hashes_match(keys.hash_key(key), keys.hash_key(key))
    assert not keys.hashes_match(keys.hash_key(key), keys.hash_key(key + "x"))
