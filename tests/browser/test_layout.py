"""Every page at a phone's width and at a desktop's, and on paper, in a real Chromium on the real fleet.

At 390 px no page may scroll sideways (wide tables scroll inside their panel instead),
and the header's navigation folds behind a "Menu" button that works with a pointer and
with the keyboard. At 1440 px nothing sticks out either. The print stylesheet hides the
navigation and the forms and keeps the content; Chromium prints it to a PDF. Screenshots
go to var/screenshots/w390-*.png, w1440-*.png and print-*.png/.pdf for a person to look at.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.browser.conftest import log_in
from tests.browser.pages import pages, settle, shot_name
from tests.browser.test_live_pages import PASSWORD, STAFF, asgi_server  # noqa: F401 (daphne, for the live page)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 1}
DESKTOP = {"viewport": {"width": 1440, "height": 900}}
PRINTED = ["/", "/monitoring/energy/", "/clusters/", "/clusters/{cluster}/", "/clusters/compare/"]

# The elements that reach past the right edge of the screen (``limit`` CSS px), outermost
# first, except those inside a container that scrolls (or clips) sideways by itself: those
# cannot widen the page. An absolutely placed element escapes every such container below
# its containing block (its nearest positioned ancestor), so those do not count for it.
STICKING_OUT = """(limit) => {
  const contained = el => {
    let position = getComputedStyle(el).position;
    for (let p = el.parentElement; p && p !== document.body && position !== "fixed"; p = p.parentElement) {
      const style = getComputedStyle(p);
      if (position === "absolute" && style.position === "static") continue;
      if (["auto", "scroll", "hidden", "clip"].includes(style.overflowX)) return true;
      position = style.position;
    }
    return false;
  };
  const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + [...el.classList].map(c => "." + c).join("");
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const right = el.getBoundingClientRect().right;
    if (right <= limit + 0.5 || contained(el)) continue;
    if (el.parentElement && out.some(o => o.el.contains(el))) continue;
    out.push({el, text: name(el) + " right=" + Math.round(right)});
  }
  return out.map(o => o.text);
}"""
# Measured against the screen's width, not window.innerWidth: a mobile Chromium zooms out
# to show a page wider than the screen, and innerWidth then grows with the page.
SCROLLS_SIDEWAYS = "(limit) => document.documentElement.scrollWidth > limit"


def too_wide(page) -> str | None:
    """What sticks out when ``page`` is wider than its screen, else None."""
    limit = page.viewport_size["width"]
    if not page.evaluate(SCROLLS_SIDEWAYS, limit):
        return None
    width = page.evaluate("() => document.documentElement.scrollWidth")
    return f"{width} px wide on a {limit} px screen: {page.evaluate(STICKING_OUT, limit)}"


def assert_fits(page, path: str) -> None:
    """Fail with the elements that stick out when ``page`` scrolls sideways."""
    wide = too_wide(page)
    assert wide is None, f"{path} is {wide}"


def walk_every_page(browser, live_server, fleet_prometheus, options: dict, prefix: str) -> list[str]:
    """Open every staff page in one signed-in context; screenshot each; return the paths that scroll sideways."""
    context = browser.new_context(**options)
    try:
        page = log_in(context.new_page(), live_server.url, "staff", "staff-pass-1234")
        SHOTS.mkdir(parents=True, exist_ok=True)
        wide: list[str] = []
        for path in pages(fleet_prometheus):
            response = page.goto(live_server.url + path)
            assert response.status == 200, path
            settle(page, page.url)
            if found := too_wide(page):
                wide.append(f"{path}: {found}")
            page.screenshot(path=str(SHOTS / shot_name(prefix, path)), full_page=True)
        return wide
    finally:
        context.close()


@pytest.mark.prometheus
@pytest.mark.parametrize(("options", "prefix"), [(PHONE, "w390"), (DESKTOP, "w1440")], ids=["390", "1440"])
def test_no_page_scrolls_sideways(browser, live_server, staff_user, fleet_clusters, fleet_prometheus, options, prefix):
    wide = walk_every_page(browser, live_server, fleet_prometheus, options, prefix)
    assert not wide, "pages wider than the window:\n" + "\n".join(wide)


# Every drawn chart is as wide as the box it is drawn in (to the pixel), and no wider.
CHARTS_FIT = """() => [...document.querySelectorAll('.chart-body')].filter(b => b.querySelector('.uplot'))
  .every(b => Math.abs(b.querySelector('.uplot canvas').getBoundingClientRect().width - b.clientWidth) <= 1)"""


@pytest.mark.prometheus
def test_a_chart_follows_its_panel_when_the_window_narrows(
    browser, live_server, staff_user, fleet_clusters, fleet_prometheus
):
    context = browser.new_context(**DESKTOP)
    try:
        page = log_in(context.new_page(), live_server.url, "staff", "staff-pass-1234")
        settle(page, page.url)
        wide = page.locator(".chart-body .uplot canvas").first.bounding_box()["width"]
        assert wide > 600 and page.evaluate(CHARTS_FIT)
        page.set_viewport_size({"width": 390, "height": 844})
        page.wait_for_function(CHARTS_FIT, timeout=5_000)
        assert page.locator(".chart-body .uplot canvas").first.bounding_box()["width"] < 390
        assert_fits(page, "/ narrowed from 1440 to 390 px")
    finally:
        context.close()


def menu_links_visible(page) -> bool:
    return page.locator("nav.nav a").first.is_visible()


def test_the_menu_button_folds_the_navigation_at_phone_width(browser, live_server, staff_user):
    context = browser.new_context(**PHONE)
    try:
        page = log_in(context.new_page(), live_server.url, "staff", "staff-pass-1234")
        button = page.get_by_role("button", name="Menu")
        assert button.get_attribute("aria-expanded") == "false"
        assert page.locator("#" + button.get_attribute("aria-controls")).count() == 1
        assert not menu_links_visible(page) and not page.locator("#language-select").is_visible()
        button.click()
        assert button.get_attribute("aria-expanded") == "true"
        assert menu_links_visible(page) and page.locator("#language-select").is_visible()
        assert_fits(page, "/ with the menu open")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "w390-menu-open.png"))
        button.click()
        assert button.get_attribute("aria-expanded") == "false" and not menu_links_visible(page)
        # The keyboard: Enter on the focused button opens it; Escape closes it and gives focus back.
        button.focus()
        page.keyboard.press("Enter")
        assert button.get_attribute("aria-expanded") == "true" and menu_links_visible(page)
        page.keyboard.press("Escape")
        assert button.get_attribute("aria-expanded") == "false" and not menu_links_visible(page)
        assert page.evaluate("() => document.activeElement.getAttribute('aria-controls')") is not None
        # A link in the open menu leads where it says.
        button.click()
        page.locator("nav.nav a", has_text="System").click()
        page.wait_for_url(f"{live_server.url}/system/")
    finally:
        context.close()


def test_the_navigation_shows_without_javascript_and_at_desktop_width(browser, live_server, staff_user):
    for options in ({**PHONE, "java_script_enabled": False}, DESKTOP):
        context = browser.new_context(**options)
        try:
            page = log_in(context.new_page(), live_server.url, "staff", "staff-pass-1234")
            assert menu_links_visible(page), options
            assert page.locator("nav.nav a").count() == 8
            assert not page.get_by_role("button", name="Menu").is_visible(), options
            assert_fits(page, "/")
        finally:
            context.close()


# Links of the header outside their own box (scrolled out of sight in the nav), the header or the window.
CUT_OFF = """() => [...document.querySelectorAll('nav.nav a, .account a, .account button')].filter(a => {
  const r = a.getBoundingClientRect(), box = a.parentElement.getBoundingClientRect();
  const bar = document.querySelector('.topbar').getBoundingClientRect();
  return r.width === 0 || r.right > Math.min(box.right, bar.right, innerWidth) + 1 || r.left < box.left - 1
    || r.bottom > Math.min(box.bottom, bar.bottom) + 1;
}).map(a => a.textContent.trim())"""


@pytest.mark.parametrize("width", [800, 1100, 1360, 1440, 1920])
@pytest.mark.parametrize("locale", ["en-US", "ko-KR"])
def test_an_administrators_header_shows_every_link_at_desktop_widths(browser, live_server, admin_user, width, locale):
    """The superuser's header is the longest (Admin, a longer name; Korean labels are wider): nothing hidden."""
    context = browser.new_context(viewport={"width": width, "height": 700}, locale=locale)
    try:
        page = log_in(context.new_page(), live_server.url, "admin", "password")
        assert page.locator("nav.nav a").count() == 8
        assert page.evaluate(CUT_OFF) == []
    finally:
        context.close()


def test_the_login_page_fits_a_phone_signed_out(browser, live_server):
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        assert (
            page.locator("#id_username").is_visible() and page.locator(".login-card button[type=submit]").is_visible()
        )
        box = page.locator(".login-card").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert_fits(page, "/accounts/login/")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "w390-login.png"), full_page=True)
    finally:
        context.close()


@pytest.mark.prometheus
def test_the_live_page_streams_at_phone_width(browser, asgi_server):  # noqa: F811 (the imported fixture)
    context = browser.new_context(**PHONE)
    try:
        page = log_in(context.new_page(), asgi_server, STAFF, PASSWORD)
        page.goto(f"{asgi_server}/monitoring/live/?interval=1")
        page.wait_for_function(
            "() => Number(document.querySelector('figure[data-live-chart]').dataset.points) >= 2", timeout=30_000
        )
        assert page.locator("figure[data-live-chart] .uplot").is_visible()
        assert_fits(page, "/monitoring/live/ while streaming")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "w390-monitoring-live-streaming.png"), full_page=True)
    finally:
        context.close()


# What the print stylesheet hides, and what it must keep.
HIDDEN_ON_PAPER = ", ".join(
    (
        "nav.nav",
        ".account",
        "form.language",
        ".menu-toggle",
        ".subnav",
        "form.filters",
        ".tr-presets",
        "form.tr-custom",
        "main form button",
    )
)


# The page's paper, its text, and a panel's fill.
INK = """() => [getComputedStyle(document.body).backgroundColor,
  getComputedStyle(document.querySelector('main h1')).color,
  getComputedStyle(document.querySelector('.panel, .table-wrap, .kpi')).backgroundColor]"""


def printed_paths(fleet_prometheus) -> list[str]:
    cluster = fleet_prometheus.fleet.clusters[0].name
    return [path.format(cluster=cluster) for path in PRINTED]


@pytest.mark.prometheus
def test_printing_hides_the_navigation_and_forms_and_keeps_the_content(
    browser, live_server, staff_user, fleet_clusters, fleet_prometheus
):
    # A dark screen still prints black on white.
    context = browser.new_context(**DESKTOP, color_scheme="dark")
    try:
        page = log_in(context.new_page(), live_server.url, "staff", "staff-pass-1234")
        page.emulate_media(media="print")
        SHOTS.mkdir(parents=True, exist_ok=True)
        for path in printed_paths(fleet_prometheus):
            page.goto(live_server.url + path)
            settle(page, page.url)
            shown = page.evaluate(
                "(selector) => [...document.querySelectorAll(selector)].filter(e => e.getClientRects().length)"
                ".map(e => e.tagName + '.' + e.className)",
                HIDDEN_ON_PAPER,
            )
            assert not shown, f"{path} prints {shown}"
            assert page.locator("main h1").is_visible(), path
            assert page.evaluate(INK) == ["rgb(255, 255, 255)", "rgb(0, 0, 0)", "rgba(0, 0, 0, 0)"], path
            assert page.locator("main").bounding_box()["height"] > 200, path
            name = shot_name("print", path)
            page.screenshot(path=str(SHOTS / name), full_page=True)
            pdf = page.pdf(format="A4", print_background=False)
            assert len(PdfReader(io.BytesIO(pdf)).pages) >= 1, path
            (SHOTS / name.replace(".png", ".pdf")).write_bytes(pdf)
    finally:
        context.close()
