"""No input gives a 5xx: a property-based run of the OpenAPI schema (schemathesis) on the real fleet.

Every operation of the schema the product serves gets ``KCLOUD_FUZZ_EXAMPLES``
generated requests (default 10; Hypothesis picks odd values, out-of-range numbers,
bad enums, long strings), as a superuser's token so that every endpoint is
reachable, with every cluster up. The only failure is a 5xx; the number of
requests sent is written to ``var/test/fuzz-requests.txt`` (the closing notes
quote it).
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

pytestmark = [pytest.mark.prometheus, pytest.mark.django_db]

EXAMPLES = int(os.environ.get("KCLOUD_FUZZ_EXAMPLES", "10"))
REPORT = Path(__file__).resolve().parents[1] / "var" / "test" / "fuzz-requests.txt"
SENT: list[tuple[str, int]] = []


@pytest.fixture
def superuser_key(django_user_model):
    from kcloud.auth.models import ApiToken

    root = django_user_model.objects.create_superuser("fuzz-root", password="fuzz-pass-0123456789")
    return ApiToken.issue(root, "fuzz")[1]


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    operations = len({label for label, _ in SENT})
    by_status = Counter(status for _, status in SENT)
    statuses = ", ".join(f"{status}: {n}" for status, n in sorted(by_status.items()))
    REPORT.write_text(f"{len(SENT)} requests over {operations} operations; by status {statuses}\n")


def test_no_input_gives_a_server_error(fleet_clusters, superuser_key, settings):
    from hypothesis import given

    # Inputs are what is under test here, not the rate limits (tested on their own).
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], token="100000/min", exports="100000/min")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}

    from kcloud.wsgi import application

    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)
    headers = {"Authorization": f"Token {superuser_key}"}
    failures = []
    for found in schema.get_all_operations():
        operation = found.ok()

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,  # the same requests on every run: a failure is reproducible, not a lottery
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case):
            response = case.call(headers=headers)
            SENT.append((case.operation.label, response.status_code))
            if response.status_code >= 500:
                failures.append((case.operation.label, case.formatted_path, case.query, response.text[:300]))

        check()
    assert not failures, failures
