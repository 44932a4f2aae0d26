"""The production-shaped stack for ``make e2e`` (``pytest -m e2e``), one per session."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from tests.e2e.stack import Stack, postgres_bindir, running_stack
from tests.services import require


@pytest.fixture(scope="session")
def stack(fleet_prometheus, tmp_path_factory) -> Iterator[Stack]:
    require(postgres_bindir() is not None, "PostgreSQL server binaries missing (apt-get install postgresql)")
    require(shutil.which("nginx") or os.path.exists("/usr/sbin/nginx"), "nginx missing (apt-get install nginx-light)")
    require(shutil.which("redis-server") is not None, "redis-server missing (apt-get install redis-server)")
    with running_stack(tmp_path_factory.mktemp("stack"), fleet_prometheus.deployment) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    from tests.browser.conftest import CHROMIUM
    from tests.services import require_binary

    require_binary(CHROMIUM, "chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
        )
        yield launched
        launched.close()


@pytest.fixture
def browser_page(browser, stack):
    """``browser_page()``: a staff user's page logged in through the proxy (its certificate accepted)."""
    from tests.e2e.stack import STAFF, STAFF_PASSWORD

    contexts = []

    def make():
        context = browser.new_context(viewport={"width": 1360, "height": 900}, ignore_https_errors=True)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{stack.url}/accounts/login/")
        page.fill("#id_username", STAFF)
        page.fill("#id_password", STAFF_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{stack.url}/")
        return page

    yield make
    for context in contexts:
        context.close()
