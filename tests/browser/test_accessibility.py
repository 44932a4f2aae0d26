"""Accessibility of every page, in a real Chromium, on the real fleet.

axe-core (vendored in static/vendor/axe-core, injected by the test, never loaded by
a page) audits every page of tests/browser/pages.py and the login page against WCAG
2.0/2.1 A and AA, in English and Korean, in the light and the dark colour scheme;
a serious or critical violation fails the test with its page, rule and elements.
The other tests check what axe cannot judge: every drawn chart has a text
alternative, no status is told by colour alone, and the keyboard reaches the
content (skip link) and the navigation with a visible focus outline.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import log_in
from tests.browser.pages import pages, settle, shot_name

pytestmark = [pytest.mark.browser, pytest.mark.prometheus, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "static" / "vendor" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "var" / "screenshots"
VIEWPORT = {"width": 1360, "height": 900}

# Only what fails the test is sent back: serious and critical violations, with their elements.
AUDIT = """async () => {
  const tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return result.violations.filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => ({id: v.id, impact: v.impact, targets: v.nodes.map(n => n.target.join(" "))}));
}"""


def audit(page, base_url: str) -> list[dict]:
    """axe's serious and critical violations on the page as it is now."""
    # By URL from the live server, not inlined (path=): the pages' CSP allows no inline script,
    # and bypassing the CSP would audit a page users never get.
    page.add_script_tag(url=f"{base_url}/static/{AXE.relative_to(ROOT / 'static')}")
    return page.evaluate(AUDIT)


def describe(found: dict[str, list[dict]]) -> str:
    """One line per violation: page, rule, impact and the elements, for the failure message."""
    return "\n".join(
        f"{path}: {v['id']} ({v['impact']}, {len(v['targets'])}) on {', '.join(v['targets'][:8])}"
        + (f" and {len(v['targets']) - 8} more" if len(v["targets"]) > 8 else "")
        for path, violations in found.items()
        for v in violations
    )


def open_settled(page, url: str) -> None:
    """Open ``url`` and wait until its charts and live tiles have finished loading."""
    response = page.goto(url)
    assert response.status == 200, url
    settle(page, url)


@pytest.mark.parametrize(
    ("locale", "scheme", "width"),
    [
        ("en-US", "light", VIEWPORT["width"]),
        ("en-US", "dark", VIEWPORT["width"]),
        ("ko-KR", "light", VIEWPORT["width"]),
        ("ko-KR", "dark", VIEWPORT["width"]),
        # At a phone's width the panels scroll their tables: those regions must be reachable by keyboard.
        ("en-US", "light", 390),
    ],
)
def test_every_page_passes_axe(
    browser, live_server, staff_user, fleet_clusters, fleet_prometheus, locale, scheme, width
):
    viewport = {**VIEWPORT, "width": width}
    context = browser.new_context(viewport=viewport, locale=locale, color_scheme=scheme)
    try:
        page = context.new_page()
        found: dict[str, list[dict]] = {}
        # Signed out first: the login page is the one page everybody sees.
        open_settled(page, f"{live_server.url}/accounts/login/")
        if violations := audit(page, live_server.url):
            found["/accounts/login/"] = violations
        log_in(page, live_server.url, "staff", "staff-pass-1234")
        for path in pages(fleet_prometheus):
            open_settled(page, live_server.url + path)
            if violations := audit(page, live_server.url):
                found[path] = violations
        assert not found, f"axe ({locale}, {scheme}, {width} px):\n{describe(found)}"
    finally:
        context.close()


# Every drawn chart (a uPlot canvas, the topology's SVG) with its accessible name and description.
CHARTS = """() => [...document.querySelectorAll("figure")]
  .filter(f => f.querySelector("canvas, svg.topo-svg")).map(f => {
  const byIds = name => (f.getAttribute(name) || "").split(/\\s+/).filter(Boolean)
    .map(id => (document.getElementById(id) || {textContent: ""}).textContent).join(" ").trim();
  const caption = f.querySelector("figcaption");
  return {
    chart: f.dataset.title || f.className,
    name: (f.getAttribute("aria-label") || byIds("aria-labelledby") || (caption ? caption.textContent : "")).trim(),
    description: byIds("aria-describedby"),
  };
})"""

# Coloured status elements that say nothing but their colour; and how many were looked at.
STATUS_WITHOUT_TEXT = """() => {
  const text = e => (e ? e.textContent : "").replace(/\\s+/g, " ").trim();
  const found = [];
  let checked = 0;
  const need = (selector, told, why) => document.querySelectorAll(selector).forEach(e => {
    checked += 1;
    if (!told(e)) found.push(why + ": " + e.outerHTML.slice(0, 160));
  });
  // Badges, alert states, connection states, legend keys and state tags: their words are the status.
  need(".badge, .state, .live-state, .s-key, .state-tag", e => text(e) !== "", "no words");
  // A sensor chip's words are the sensor's name: the state needs words of its own.
  need(".chip-critical, .chip-warning, .chip-unknown",
       e => text(e.querySelector(".chip-state")) !== "", "state by colour only");
  // Bars: a text alternative, or the value written beside them (in their wrapper or table row).
  need(".power-bar, .util-bar, .budget-bar, .cbar .track",
       e => (e.getAttribute("aria-label") || "").trim() !== "" || text(e.closest(".util, .cbar, tr")) !== "",
       "bar without a value");
  // Topology marks: two colours never share a shape, so the shape alone tells the status.
  const colours = new Map();
  document.querySelectorAll(".topo-status").forEach(m => {
    checked += 1;
    const hollow = m.getAttribute("fill") === "none";
    const shape = m.tagName + (hollow ? " hollow" : "");
    colours.set(shape, (colours.get(shape) || new Set()).add(m.getAttribute(hollow ? "stroke" : "fill")));
  });
  colours.forEach((set, shape) => {
    if (set.size > 1) found.push("topology: " + shape + " in " + [...set].join(", "));
  });
  return {found, checked};
}"""

# The focused element: what it is and whether its focus ring shows.
FOCUSED = """() => {
  const e = document.activeElement;
  const style = getComputedStyle(e);
  const box = e.getBoundingClientRect();
  return {
    tag: e.tagName.toLowerCase(), id: e.id, cls: e.className, text: e.textContent.trim(),
    inNav: !!e.closest("nav.nav"), inMain: !!e.closest("main"),
    ring: (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== "none",
    onScreen: box.width > 0 && box.height > 0 && box.top >= 0 && box.left >= 0,
  };
}"""


def signed_in(browser, base_url: str, *, locale: str = "en-US", scheme: str = "light"):
    """A new context (language, colour scheme) and its page, signed in as staff."""
    context = browser.new_context(viewport=VIEWPORT, locale=locale, color_scheme=scheme)
    return context, log_in(context.new_page(), base_url, "staff", "staff-pass-1234")


def test_every_drawn_chart_has_a_text_alternative(browser, live_server, staff_user, fleet_clusters, fleet_prometheus):
    context, page = signed_in(browser, live_server.url)
    try:
        charts, missing = 0, {}
        for path in pages(fleet_prometheus):
            open_settled(page, live_server.url + path)
            for chart in page.evaluate(CHARTS):
                charts += 1
                if not chart["name"] or not chart["description"]:
                    missing.setdefault(path, []).append(chart)
        # The overview, power, breakdown, node, GPU and NPU pages draw charts; the cluster page its topology.
        assert charts >= 8, charts
        assert not missing, f"charts without a name or a summary: {missing}"
    finally:
        context.close()


def test_no_status_is_told_by_colour_alone(browser, live_server, staff_user, fleet_clusters, fleet_prometheus):
    context, page = signed_in(browser, live_server.url)
    try:
        checked, found = 0, {}
        for path in pages(fleet_prometheus):
            open_settled(page, live_server.url + path)
            answer = page.evaluate(STATUS_WITHOUT_TEXT)
            checked += answer["checked"]
            if answer["found"]:
                found[path] = answer["found"]
        assert checked > 100, checked
        assert not found, f"status by colour alone: {found}"
    finally:
        context.close()


def tab_until(page, condition, limit: int = 40) -> dict:
    """Press Tab until the focused element meets ``condition``; that element's FOCUSED facts."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if condition(focused):
            return focused
    raise AssertionError(f"not reached in {limit} tabs; last focused: {focused}")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_keyboard_skips_to_content_and_reaches_the_navigation(browser, live_server, staff_user, fleet_clusters, scheme):
    context, page = signed_in(browser, live_server.url, scheme=scheme)
    try:
        page.keyboard.press("Tab")
        first = page.evaluate(FOCUSED)
        assert "skip-link" in first["cls"] and first["onScreen"] and first["ring"], first
        page.keyboard.press("Enter")
        assert page.evaluate(FOCUSED)["id"] == "content"
        # Focus goes on from the content, not from the top of the page.
        assert tab_until(page, lambda f: True)["inMain"]

        open_settled(page, f"{live_server.url}/monitoring/")
        link = tab_until(page, lambda f: f["inNav"])
        assert link["tag"] == "a" and link["ring"], link
        # A chart's legend entries are buttons: Enter hides the series and says so.
        toggle = page.locator("figure .u-legend button.u-toggle").first
        toggle.focus()
        assert page.evaluate(FOCUSED)["ring"]
        page.keyboard.press("Enter")
        assert toggle.get_attribute("aria-pressed") == "false"
    finally:
        context.close()


def test_dark_screenshots(browser, live_server, staff_user, fleet_clusters, fleet_prometheus):
    """Screenshots of the dark scheme in var/screenshots/dark-*.png, for a human to look at."""
    fleet = fleet_prometheus.fleet
    every = pages(fleet_prometheus)
    shown = [
        "/",
        f"/clusters/{fleet.clusters[0].name}/",
        next(p for p in every if p.startswith("/accelerators/gpus/") and p != "/accelerators/gpus/"),
        "/monitoring/",
        "/monitoring/energy/",
        "/hardware/",
    ]
    context, page = signed_in(browser, live_server.url, scheme="dark")
    try:
        SHOTS.mkdir(parents=True, exist_ok=True)
        for path in shown:
            open_settled(page, live_server.url + path)
            assert page.evaluate("() => matchMedia('(prefers-color-scheme: dark)').matches")
            page.screenshot(path=str(SHOTS / shot_name("dark", path)), full_page=True)
    finally:
        context.close()
