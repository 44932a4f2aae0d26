"""Every page in Korean, in a real Chromium whose language is Korean, on the real fleet.

"Untranslated" is measured against the English catalogue: no English sentence of
``locale/ko`` (its msgids, pages' and scripts' alike) may be visible on a Korean
page once its scripts have run. The switcher in the header then brings English back
and remembers it. Screenshots of each Korean page go to var/screenshots/ko-*.png.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.conftest import log_in
from tests.browser.pages import pages, settle, shot_name

pytestmark = [pytest.mark.browser, pytest.mark.prometheus, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "var" / "screenshots"


def english_sentences() -> set[str]:
    """The catalogue's English texts that are sentences (3+ words, no placeholder or markup) and differ in Korean."""
    found = set()
    for domain in ("django", "djangojs"):
        text = (ROOT / "locale" / "ko" / "LC_MESSAGES" / f"{domain}.po").read_text(encoding="utf-8")
        for msgid, msgstr in re.findall(r'^msgid "(.+)"\nmsgstr "(.*)"$', text, re.M):
            if msgid != msgstr and len(msgid.split()) >= 3 and not re.search(r"%|<|\\", msgid):
                found.add(msgid)
    return found


def test_every_page_in_korean_shows_no_english_sentence(
    browser, live_server, staff_user, fleet_clusters, fleet_prometheus
):
    sentences = english_sentences()
    assert len(sentences) > 100
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="ko-KR")
    try:
        page = log_in(context.new_page(), live_server.url, "staff", "staff-pass-1234")
        SHOTS.mkdir(parents=True, exist_ok=True)
        left: dict[str, list[str]] = {}
        for path in pages(fleet_prometheus):
            response = page.goto(live_server.url + path)
            assert response.status == 200, path
            assert page.get_attribute("html", "lang") == "ko", path
            settle(page, path)
            visible = page.inner_text("body")
            english = sorted(s for s in sentences if s in visible)
            if english:
                left[path] = english
            page.screenshot(path=str(SHOTS / shot_name("ko", path)), full_page=True)
        assert not left, f"English on Korean pages: {left}"
    finally:
        context.close()


def test_the_switcher_brings_english_back_and_remembers_it(browser, live_server, staff_user):
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="ko-KR")
    try:
        page = log_in(context.new_page(), live_server.url, "staff", "staff-pass-1234")
        assert page.locator("nav.nav a.active").inner_text() == "개요"
        page.select_option("#language-select", "en")
        page.click("form.language button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        assert page.locator("nav.nav a.active").inner_text() == "Overview"
        page.goto(f"{live_server.url}/clusters/")
        assert page.get_attribute("html", "lang") == "en" and "Clusters" in page.locator("nav.nav").inner_text()
    finally:
        context.close()
