"""The production-shaped stack for ``make e2e`` (``pytest -m e2e``), one per session."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from tests.browser.conftest import browser, log_in  # noqa: F401 (the browser fixture, reused)
from tests.e2e.stack import STAFF, STAFF_PASSWORD, Stack, postgres_bindir, running_stack
from tests.services import require


@pytest.fixture(scope="session")
def stack(fleet_prometheus, tmp_path_factory) -> Iterator[Stack]:
    require(postgres_bindir() is not None, "PostgreSQL server binaries missing (apt-get install postgresql)")
    require(shutil.which("nginx") or os.path.exists("/usr/sbin/nginx"), "nginx missing (apt-get install nginx-light)")
    require(shutil.which("redis-server") is not None, "redis-server missing (apt-get install redis-server)")
    with running_stack(tmp_path_factory.mktemp("stack"), fleet_prometheus.deployment) as running:
        yield running


@pytest.fixture
def browser_page(browser, stack):  # noqa: F811 (the imported fixture)
    """``browser_page()``: a staff user's page logged in through the proxy (its certificate accepted)."""
    contexts = []

    def make():
        context = browser.new_context(viewport={"width": 1360, "height": 900}, ignore_https_errors=True)
        contexts.append(context)
        return log_in(context.new_page(), stack.url, STAFF, STAFF_PASSWORD)

    yield make
    for context in contexts:
        context.close()
