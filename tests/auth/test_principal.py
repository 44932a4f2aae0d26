"""Principal and select_clusters: token scope, 404 without revealing existence, validation."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from clusters.models import Cluster
from clusters.scope import Principal, select_clusters
from kcloud.api.errors import BadParameter, NotFound
from kcloud.auth.models import ApiToken
from tests.auth.util import token_header

pytestmark = pytest.mark.django_db


@pytest.fixture
def scoped(alice, cluster_a, cluster_b) -> Principal:
    """Alice through a token limited to cluster a (b exists but is out of scope)."""
    token, _ = ApiToken.issue(alice, "a only", clusters=[cluster_a])
    return Principal(alice, token)


def names(clusters: list[Cluster]) -> list[str]:
    return [cluster.name for cluster in clusters]


def test_scoped_token_sees_only_its_clusters(scoped):
    assert names(select_clusters(scoped, None)) == ["a"]
    assert names(select_clusters(scoped, [])) == ["a"]
    assert names(select_clusters(scoped, ["a"])) == ["a"]


def test_out_of_scope_and_unknown_get_the_same_404(scoped):
    with pytest.raises(NotFound) as out_of_scope:
        select_clusters(scoped, ["b"])
    with pytest.raises(NotFound) as unknown:
        select_clusters(scoped, ["zz"])

    assert out_of_scope.value.status_code == unknown.value.status_code == 404
    assert str(out_of_scope.value.detail) == "Unknown cluster: b"
    assert str(unknown.value.detail) == "Unknown cluster: zz"
    assert out_of_scope.value.error_code == unknown.value.error_code == "not_found"


def test_one_bad_name_fails_the_whole_request(scoped):
    with pytest.raises(NotFound, match="b"):
        select_clusters(scoped, ["a", "b"])


def test_unscoped_token_and_session_see_everything_enabled(alice, cluster_a, cluster_b):
    Cluster.objects.create(name="off", prometheus_url="http://127.0.0.1:9", enabled=False)
    token, _ = ApiToken.issue(alice, "all")

    assert names(select_clusters(Principal(alice, token), None)) == ["a", "b"]
    assert names(select_clusters(Principal(alice), None)) == ["a", "b"]
    with pytest.raises(NotFound):
        select_clusters(Principal(alice), ["off"])


def test_order_kept_and_duplicates_dropped(alice, cluster_a, cluster_b):
    assert names(select_clusters(Principal(alice), ["b", "a", "b"])) == ["b", "a"]


@pytest.mark.parametrize("bad", ["", "a b", "a,b", "../etc", 'a"}', "x" * 64, "é"])
def test_malformed_names_are_400(alice, cluster_a, bad):
    with pytest.raises(BadParameter) as excinfo:
        select_clusters(Principal(alice), [bad])
    assert excinfo.value.status_code == 400
    assert excinfo.value.details == {"parameter": "cluster"}


def test_anonymous_sees_nothing(cluster_a):
    anonymous = Principal(AnonymousUser())
    assert select_clusters(anonymous, None) == []
    with pytest.raises(NotFound):
        select_clusters(anonymous, ["a"])


def test_from_plain_django_request(alice):
    request = RequestFactory().get("/")
    request.user = alice
    principal = Principal.from_request(request)
    assert principal == Principal(alice, None)
    assert principal.is_authenticated
    assert str(principal) == "alice"


def test_str_shows_only_the_token_prefix(alice):
    token, key = ApiToken.issue(alice, "t")
    text = str(Principal(alice, token))
    assert token.prefix in text
    assert key not in text


@pytest.mark.urls("tests.auth.urls")
def test_through_the_api(api_client, alice, cluster_a, cluster_b):
    _, key = ApiToken.issue(alice, "a only", clusters=[cluster_a])

    response = api_client.get("/whoami", **token_header(key))
    assert response.json()["clusters"] == ["a"]

    response = api_client.get("/whoami?cluster=b", **token_header(key))
    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "not_found",
        "message": "Unknown cluster: b",
        "details": {"cluster": "b"},
        "request_id": response["X-Request-ID"],
    }

    response = api_client.get("/whoami?cluster=bad%20name", **token_header(key))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_parameter"


# -- scopes of people (groups) and tokens within them --------------------------------------------
def _member(django_user_model, name: str, *, role: str, clusters=(), all_clusters: bool = False):
    from django.contrib.auth.models import Group

    from kcloud.auth import roles
    from kcloud.auth.models import ClusterScope

    user = django_user_model.objects.create_user(name)
    roles.grant(user, role)
    group = Group.objects.create(name=f"team-{name}")
    scope = ClusterScope.objects.create(group=group, all_clusters=all_clusters)
    scope.clusters.set(clusters)
    user.groups.add(group)
    return user


def test_people_see_their_groups_clusters_and_tokens_only_within(django_user_model, cluster_a, cluster_b):
    from kcloud.auth import roles

    carol = _member(django_user_model, "carol", role=roles.VIEWER, clusters=[cluster_a])
    assert names(select_clusters(Principal(carol), None)) == ["a"]
    with pytest.raises(NotFound):
        select_clusters(Principal(carol), ["b"])
    # A token cannot see beyond its owner, whatever it lists or claims.
    all_token, _ = ApiToken.issue(carol, "all of carol's")
    b_token, _ = ApiToken.issue(carol, "b", clusters=[cluster_b])
    assert names(select_clusters(Principal(carol, all_token), None)) == ["a"]
    assert names(select_clusters(Principal(carol, b_token), None)) == []


def test_no_role_sees_nothing_and_superusers_see_everything(django_user_model, cluster_a, cluster_b):
    nobody = django_user_model.objects.create_user("nobody")
    assert select_clusters(Principal(nobody), None) == []
    root = django_user_model.objects.create_superuser("root2", password="x-0123456789")
    assert names(select_clusters(Principal(root), None)) == ["a", "b"]


def test_deleting_a_cluster_never_widens_a_scope(django_user_model, cluster_a, cluster_b):
    from kcloud.auth import roles

    dave = _member(django_user_model, "dave", role=roles.VIEWER, clusters=[cluster_a])
    token, _ = ApiToken.issue(dave, "a", clusters=[cluster_a])
    cluster_a.delete()
    assert select_clusters(Principal(dave), None) == []
    assert select_clusters(Principal(dave, token), None) == []
