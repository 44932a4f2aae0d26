"""A database that cannot be reached is a 503 with ``Retry-After``; a full or read-only disk a 507.

The production-shaped run (tests/e2e) restarts a real PostgreSQL and fills a real
tmpfs; these check the same answers in the suite, wherever the error is raised.
"""

from __future__ import annotations

import errno
from unittest import mock

import pytest
from django.db import OperationalError

pytestmark = pytest.mark.django_db


def _unreachable(*args, **kwargs):
    raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')


def test_a_page_whose_session_cannot_be_read_is_a_503_page(staff_client):
    staff_client.raise_request_exception = False
    with mock.patch("django.contrib.sessions.backends.db.SessionStore.load", _unreachable):
        response = staff_client.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert b"Temporarily unavailable" in response.content and b"Traceback" not in response.content


def test_an_api_call_with_the_database_down_is_a_503_envelope(staff_api):
    with mock.patch("clusters.api.views._ScopedClusterView.get_queryset", side_effect=_unreachable):
        response = staff_api.get("/api/v1/clusters")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_unavailable"
    assert response["Retry-After"] == "5"


def test_a_token_lookup_with_the_database_down_is_a_503_envelope(client):
    client.raise_request_exception = False
    with mock.patch("kcloud.auth.authentication.ApiToken.objects.find_by_key", side_effect=_unreachable):
        response = client.get("/api/v1/clusters", HTTP_AUTHORIZATION="Token kc_abcdefabcdefabcdef_0123456789")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_unavailable"


def test_a_bad_query_stays_a_500():
    from django.db import IntegrityError

    from kcloud.api.errors import database_unavailable

    assert not database_unavailable(IntegrityError("duplicate key"))
    assert database_unavailable(OperationalError("server closed the connection unexpectedly"))


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_an_export_that_cannot_write_its_temp_file_is_a_507_and_no_file(code, token_client, partner_operator):
    def failing(dataset, fmt, **options):
        raise OSError(code, "disk")
        yield b""  # a generator, like the writers

    api = token_client(partner_operator)
    with mock.patch("exports.api.views.render", failing):
        response = api.get("/api/v1/export/power", {"format": "xlsx"})
    assert response.status_code == 507
    assert response.json()["error"]["code"] == "storage_unavailable"
    assert "Content-Disposition" not in response


def test_lxml_write_errors_read_as_the_os_errors_they_are():
    from exports.writers.xlsxfile import _as_os_error

    translated = _as_os_error(Exception("IO_ENOSPC"))
    assert isinstance(translated, OSError) and translated.errno == errno.ENOSPC
    assert _as_os_error(Exception("IO_NOT_AN_ERRNO")) is None
    assert _as_os_error(ValueError("something else")) is None


def test_collected_static_files_are_linked_by_their_hashed_names(tmp_path, settings):
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.core.management import call_command
    from django.utils.functional import empty

    # Not collected (the suite, `make demo`): the plain name, no error.
    assert staticfiles_storage.url("css/kcloud.css").endswith("/static/css/kcloud.css")
    settings.STATIC_ROOT = tmp_path
    staticfiles_storage._wrapped = empty  # the storage object is built from the settings once
    try:
        call_command("collectstatic", "--noinput", "-v", "0")
        url = staticfiles_storage.url("css/kcloud.css")
        assert url.startswith("/static/css/kcloud.") and url.endswith(".css") and url != "/static/css/kcloud.css"
        assert (tmp_path / url.removeprefix("/static/")).exists()
    finally:
        staticfiles_storage._wrapped = empty
