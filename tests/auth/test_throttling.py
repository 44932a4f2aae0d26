"""Rate limits: one bucket per token, per session user, per anonymous address."""

from __future__ import annotations

import pytest

from kcloud.auth.models import ApiToken
from tests.auth.util import token_header

# Rate for the scopes a test does not exercise.
LOOSE = "1000/min"

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.auth.urls")]


@pytest.fixture
def rates(settings):
    """Set throttle rates for one test.

    Assigning REST_FRAMEWORK fires ``setting_changed``, which reloads DRF's
    ``api_settings``; our throttles read the rates from there per request
    (DRF's own ``SimpleRateThrottle.THROTTLE_RATES`` is an import-time copy that
    an override would not reach). The pytest-django ``settings`` fixture restores
    the original at teardown, firing the same reload.
    """

    def set_rates(token_rate: str = LOOSE, user_rate: str = LOOSE, anon_rate: str = LOOSE) -> None:
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"token": token_rate, "user": user_rate, "anon": anon_rate},
        }

    return set_rates


def assert_throttled(response) -> None:
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    error = response.json()["error"]
    assert error["code"] == "throttled"
    assert error["details"]["retry_after_seconds"] >= 1
    assert error["message"]


def test_token_rate(api_client, alice, rates):
    rates(token_rate="2/min")
    _, key = ApiToken.issue(alice, "partner")

    assert api_client.get("/whoami", **token_header(key)).status_code == 200
    assert api_client.get("/whoami", **token_header(key)).status_code == 200
    assert_throttled(api_client.get("/whoami", **token_header(key)))


def test_each_token_has_its_own_bucket(api_client, alice, rates):
    rates(token_rate="1/min")
    _, first = ApiToken.issue(alice, "one")
    _, second = ApiToken.issue(alice, "two")

    assert api_client.get("/whoami", **token_header(first)).status_code == 200
    assert_throttled(api_client.get("/whoami", **token_header(first)))
    assert api_client.get("/whoami", **token_header(second)).status_code == 200


def test_token_requests_do_not_use_the_owners_session_bucket(api_client, alice, rates):
    rates(user_rate="2/min")
    _, key = ApiToken.issue(alice, "partner")

    for _ in range(3):
        assert api_client.get("/whoami", **token_header(key)).status_code == 200

    alice.is_staff = True  # sessions are for staff
    alice.save()
    api_client.force_login(alice)
    assert api_client.get("/whoami").status_code == 200
    assert api_client.get("/whoami").status_code == 200
    assert_throttled(api_client.get("/whoami"))


def test_anonymous_rate_per_address(api_client, rates):
    rates(anon_rate="2/min")

    assert api_client.get("/public").status_code == 200
    # A spoofed X-Forwarded-For does not buy a fresh bucket (NUM_PROXIES unset).
    assert api_client.get("/public", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 200
    assert_throttled(api_client.get("/public", HTTP_X_FORWARDED_FOR="203.0.113.10"))

    assert api_client.get("/public", REMOTE_ADDR="198.51.100.7").status_code == 200


def test_default_rates_come_from_settings(api_client, alice):
    # With the project's rates (hundreds per minute) a few requests pass.
    _, key = ApiToken.issue(alice, "partner")
    for _ in range(5):
        assert api_client.get("/whoami", **token_header(key)).status_code == 200
