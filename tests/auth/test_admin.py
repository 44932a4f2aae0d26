"""The API token admin: pages load, the key is shown once, the hash never."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from kcloud.auth.models import ApiToken

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "not-used-0123")
    client.force_login(admin)
    return client


def test_changelist_and_change_page(admin_client_, alice, cluster_a):
    token, key = ApiToken.issue(alice, "partner", clusters=[cluster_a])
    ApiToken.issue(alice, "all clusters")

    changelist = admin_client_.get(reverse("admin:kcloud_auth_apitoken_changelist"))
    assert changelist.status_code == 200
    page = changelist.content.decode()
    assert token.prefix in page
    assert "All (owner" in page
    assert "key_hash" not in page
    assert token.key_hash not in page
    assert key not in page

    change = admin_client_.get(reverse("admin:kcloud_auth_apitoken_change", args=[token.pk]))
    assert change.status_code == 200
    page = change.content.decode()
    assert "key_hash" not in page
    assert token.key_hash not in page
    assert key not in page


def test_search_and_filter(admin_client_, alice):
    token, _ = ApiToken.issue(alice, "needle")
    ApiToken.issue(alice, "haystack")
    url = reverse("admin:kcloud_auth_apitoken_changelist")

    page = admin_client_.get(url, {"q": token.prefix}).content.decode()
    assert "needle" in page
    assert "haystack" not in page
    assert admin_client_.get(url, {"enabled__exact": "1"}).status_code == 200


def test_add_issues_a_token_and_shows_the_key_once(admin_client_, alice, cluster_a):
    add_url = reverse("admin:kcloud_auth_apitoken_add")
    page = admin_client_.get(add_url)
    assert page.status_code == 200
    assert "key_hash" not in page.content.decode()

    response = admin_client_.post(
        add_url,
        {"name": "from admin", "owner": alice.pk, "clusters": [cluster_a.pk], "expires_days": "7"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]

    shown = [str(message) for message in get_messages(response.wsgi_request)]
    keys = [match for text in shown for match in re.findall(r"kc_[A-Za-z0-9_-]{40,}", text)]
    assert len(keys) == 1
    token = ApiToken.objects.find_by_key(keys[0])
    assert token is not None
    assert token.name == "from admin"
    assert token.owner == alice
    assert [c.name for c in token.clusters.all()] == ["a"]
    assert token.expires_at is not None

    # The page after the redirect shows the message once; after that the key is gone for good.
    change_url = reverse("admin:kcloud_auth_apitoken_change", args=[token.pk])
    assert keys[0] in admin_client_.get(response["Location"]).content.decode()
    assert keys[0] not in admin_client_.get(change_url).content.decode()
    assert keys[0] not in admin_client_.get(response["Location"]).content.decode()


def test_change_keeps_the_key_and_edits_scope(admin_client_, alice, cluster_a):
    token, key = ApiToken.issue(alice, "partner", clusters=[cluster_a])
    url = reverse("admin:kcloud_auth_apitoken_change", args=[token.pk])

    form = {"name": "renamed", "enabled": "on", "clusters": [], "expires_at_0": "", "expires_at_1": ""}
    # Emptying the list does not widen the token: it then sees nothing.
    assert admin_client_.post(url, form).status_code == 302
    token = ApiToken.objects.get(pk=token.pk)
    assert token.restricts_clusters and not token.clusters.exists()
    # "All clusters" is an explicit choice.
    response = admin_client_.post(url, {**form, "all_clusters": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]

    token = ApiToken.objects.get(pk=token.pk)
    assert token.name == "renamed"
    assert not token.restricts_clusters
    assert ApiToken.objects.find_by_key(key) == token
    assert token.owner == alice


def test_enable_and_disable_actions(admin_client_, alice):
    token, _ = ApiToken.issue(alice, "partner")
    url = reverse("admin:kcloud_auth_apitoken_changelist")

    admin_client_.post(url, {"action": "disable_tokens", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert not token.enabled

    admin_client_.post(url, {"action": "enable_tokens", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.enabled
