/* KCloud Monitor: regions that scroll sideways are reachable by keyboard.
 *
 * At a phone's width panels and table wrappers scroll their content sideways
 * (kcloud.css "Phone width"). A region that scrolls must take focus, or someone
 * without a mouse cannot see its hidden columns; one that does not scroll must not,
 * or every panel would be a useless tab stop on a desktop. So the regions are
 * found by what they do, and re-checked when the page changes size or content
 * (tables filled and charts drawn by the pages' scripts).
 */
(function () {
  "use strict";

  const CANDIDATES = "main .panel, main .table-wrap, main .topo-body, main section, main .cards";
  let queued = false;

  function scrolls(element) {
    const overflow = getComputedStyle(element).overflowX;
    return (overflow === "auto" || overflow === "scroll") && element.scrollWidth > element.clientWidth + 1;
  }

  // The region's name: its own heading, else the page's.
  function nameOf(element) {
    const heading = element.querySelector("h2, h3, caption") || document.querySelector("main h1");
    return heading ? heading.textContent.trim() : "";
  }

  function update() {
    queued = false;
    document.querySelectorAll(CANDIDATES).forEach(element => {
      const marked = element.dataset.scroller === "true";
      if (scrolls(element)) {
        if (marked || element.hasAttribute("tabindex")) return;
        element.dataset.scroller = "true";
        element.tabIndex = 0;
        if (!element.hasAttribute("role")) element.setAttribute("role", "region");
        if (!element.hasAttribute("aria-label") && !element.hasAttribute("aria-labelledby")) {
          element.setAttribute("aria-label", nameOf(element));
        }
      } else if (marked) {
        delete element.dataset.scroller;
        element.removeAttribute("tabindex");
      }
    });
  }

  function queue() {
    if (queued) return;
    queued = true;
    requestAnimationFrame(update);
  }

  update();
  window.addEventListener("resize", queue);
  new MutationObserver(queue).observe(document.querySelector("main") || document.body, {childList: true, subtree: true});
})();
