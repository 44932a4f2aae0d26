"""Headless Chromium (Debian package) driven by Playwright for Python."""

from __future__ import annotations

import os

import pytest

from tests.services import require_binary

CHROMIUM = "/usr/bin/chromium"
# Playwright's sync API runs an event loop in this thread; Django's ORM refuses
# to be called from such a thread unless told it is fine (it is: one test thread).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


# Module scope, not session: Playwright's sync API keeps an event loop running in
# the main thread while it is open, which would break every asyncio test (Channels
# consumers) that runs after the browser tests in the same session.
@pytest.fixture(scope="module")
def browser():
    require_binary(CHROMIUM, "chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1360, "height": 860})
    page = context.new_page()
    yield page
    context.close()


def log_in(page, base_url: str, username: str, password: str):
    """Sign ``page`` in through the login form at ``base_url``; returns it on the overview."""
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click(".login-card button[type=submit]")
    page.wait_for_url(f"{base_url}/")
    return page


@pytest.fixture
def logged_in_page(page, live_server, staff_user):
    return log_in(page, live_server.url, "staff", "staff-pass-1234")
