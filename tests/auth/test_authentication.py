"""ApiTokenAuthentication through a real DRF view (tests.auth.urls)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kcloud.auth.authentication import usable_token
from kcloud.auth.models import ApiToken
from tests.auth.util import token_header

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.auth.urls")]

URL = "/whoami"


def assert_token_401(response, key: str | None = None) -> None:
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    body = response.json()
    assert body["error"]["code"] == "not_authenticated"
    if key:
        # Never echo the key back, not even in part.
        assert key not in response.content.decode()
        assert key[8:] not in response.content.decode()


def test_good_token_authenticates_as_owner(api_client, alice):
    token, key = ApiToken.issue(alice, "partner")

    response = api_client.get(URL, **token_header(key))

    assert response.status_code == 200
    assert response.json()["user"] == "alice"
    assert response.json()["token"] == token.prefix


def test_keyword_is_case_insensitive(api_client, alice):
    _, key = ApiToken.issue(alice, "partner")
    response = api_client.get(URL, HTTP_AUTHORIZATION=f"token {key}")
    assert response.status_code == 200


def test_no_header_is_401_naming_the_token_scheme(api_client):
    assert_token_401(api_client.get(URL))


def test_wrong_key(api_client, alice):
    _, key = ApiToken.issue(alice, "partner")
    wrong = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    assert_token_401(api_client.get(URL, **token_header(wrong)), wrong)


def test_garbage_keys(api_client):
    for header in ["Token", "Token a b", "Token not-a-kc-key", "Token kc_" + "x" * 300]:
        assert_token_401(api_client.get(URL, HTTP_AUTHORIZATION=header))


def test_expired_token(api_client, alice):
    token, key = ApiToken.issue(alice, "partner", expires_days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_token_401(api_client.get(URL, **token_header(key)), key)


def test_disabled_token(api_client, alice):
    token, key = ApiToken.issue(alice, "partner")
    ApiToken.objects.filter(pk=token.pk).update(enabled=False)
    assert_token_401(api_client.get(URL, **token_header(key)), key)


def test_inactive_owner(api_client, alice):
    _, key = ApiToken.issue(alice, "partner")
    alice.is_active = False
    alice.save()
    assert_token_401(api_client.get(URL, **token_header(key)), key)


def test_all_failures_share_one_message(api_client, alice):
    token, key = ApiToken.issue(alice, "partner")
    unknown = api_client.get(URL, **token_header("kc_" + "z" * 43)).json()["error"]["message"]
    ApiToken.objects.filter(pk=token.pk).update(enabled=False)
    disabled = api_client.get(URL, **token_header(key)).json()["error"]["message"]
    assert unknown == disabled


def test_other_schemes_are_left_to_other_authenticators(api_client, alice):
    # A Bearer header is not ours: no 401 from us, the (staff) session still counts.
    alice.is_staff = True
    alice.save()
    api_client.force_login(alice)
    response = api_client.get(URL, HTTP_AUTHORIZATION="Bearer something")
    assert response.status_code == 200
    assert response.json() == {"user": "alice", "token": None, "clusters": []}


def test_last_used_at_written_once_a_minute(api_client, alice):
    token, key = ApiToken.issue(alice, "partner")

    with CaptureQueriesContext(connection) as queries:
        assert api_client.get(URL, **token_header(key)).status_code == 200
        assert api_client.get(URL, **token_header(key)).status_code == 200
    updates = [query for query in queries.captured_queries if query["sql"].startswith("UPDATE")]
    assert len(updates) == 1
    assert "last_used_at" in updates[0]["sql"]

    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None

    two_minutes_ago = timezone.now() - timedelta(minutes=2)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=two_minutes_ago)
    assert api_client.get(URL, **token_header(key)).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at > two_minutes_ago
    assert token.last_used_at >= first_use


def test_usable_token_helper(alice):
    token, key = ApiToken.issue(alice, "stream")
    assert usable_token(key) == token
    assert usable_token("kc_nope") is None
    ApiToken.objects.filter(pk=token.pk).update(enabled=False)
    assert usable_token(key) is None


def test_a_session_of_someone_not_staff_authenticates_nobody(api_client, alice):
    """However a non-staff session was made, the API treats it as anonymous (partners use tokens)."""
    api_client.force_login(alice)
    response = api_client.get(URL)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
