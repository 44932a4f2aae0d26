"""manage.py create_api_token."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from kcloud.auth.models import ApiToken

pytestmark = pytest.mark.django_db


def run(*args: str) -> list[str]:
    out = StringIO()
    call_command("create_api_token", *args, stdout=out, stderr=StringIO())
    return out.getvalue().splitlines()


def test_prints_summary_and_key_last(alice, cluster_a, cluster_b):
    lines = run("alice", "--name", "billing", "--clusters", "b,a", "--expires-days", "30")

    key = lines[-1]
    assert key.startswith("kc_")
    assert key.strip() == key
    token = ApiToken.objects.find_by_key(key)
    assert token is not None
    assert token.owner == alice
    assert token.name == "billing"
    assert sorted(c.name for c in token.clusters.all()) == ["a", "b"]
    assert token.expires_at is not None

    summary = "\n".join(lines[:-1])
    assert token.prefix in summary
    assert "b, a" in summary
    assert token.expires_at.isoformat() in summary
    assert key not in summary  # printed once only


def test_defaults(alice):
    lines = run("alice")
    token = ApiToken.objects.find_by_key(lines[-1])
    assert token.name == "cli"
    assert not token.restricts_clusters
    assert token.expires_at is None
    assert any("never" in line for line in lines)


def test_unknown_cluster(alice, cluster_a):
    with pytest.raises(CommandError, match=r"Unknown cluster.*nope"):
        run("alice", "--clusters", "a,nope")
    assert not ApiToken.objects.exists()


def test_unknown_user():
    with pytest.raises(CommandError, match="Unknown user: ghost"):
        run("ghost")


def test_bad_expiry(alice):
    with pytest.raises(CommandError, match="expires-days"):
        run("alice", "--expires-days", "0")
