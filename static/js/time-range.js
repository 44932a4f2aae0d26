/* KCloud Monitor: the one time range of the pages (kcloud/timerange.py; templates/_time_range.html).
 *
 * The range lives in the URL (range=7d, or from=…&to=… in UTC), so a view can be shared.
 * The header's navigation carries it from the server; this script carries it on every
 * other link to a page (tables' links to a node, a GPU, a cluster), so it follows the
 * user wherever they go.
 *
 * KCloudTimeRange.zoom(startSeconds, endSeconds) opens the same page on a sub-range —
 * charts call it when the user drags across them, and the page's tables follow because
 * the server renders them for the new range. It does nothing on pages without the
 * control (a chart of the live page is not a window onto history).
 */
(function () {
  "use strict";

  const PARAMS = ["range", "from", "to"];
  // Not pages, or pages where a range means nothing to the server.
  const SKIP = /^\/(api|admin|accounts|i18n|static|exports\/download)(\/|$)/;

  function current() {
    const params = new URLSearchParams(location.search);
    return PARAMS.filter(p => params.has(p)).map(p => [p, params.get(p)]);
  }

  function carry(range) {
    document.querySelectorAll("main a[href]").forEach(a => {
      if (a.closest("[data-time-range]")) return;  // the presets name their own range
      const url = new URL(a.getAttribute("href"), location.href);
      if (url.origin !== location.origin || SKIP.test(url.pathname) || url.hash && url.pathname === location.pathname) return;
      if (PARAMS.some(p => url.searchParams.has(p))) return;
      range.forEach(([k, v]) => url.searchParams.set(k, v));
      a.setAttribute("href", url.pathname + url.search + url.hash);
    });
  }

  // The pages' filter forms (GET) keep the range: a filter change is not a range change.
  function keepInForms(range) {
    document.querySelectorAll("main form").forEach(form => {
      if ((form.method || "get").toLowerCase() !== "get" || form.closest("[data-time-range]")) return;
      range.forEach(([k, v]) => {
        if (form.elements[k]) return;
        const input = document.createElement("input");
        input.type = "hidden";
        input.name = k;
        input.value = v;
        form.appendChild(input);
      });
    });
  }

  // "2026-11-30T08:05" in UTC, what the server's from/to (and <input type=datetime-local>) read.
  function minute(seconds) {
    return new Date(Math.floor(seconds / 60) * 60000).toISOString().slice(0, 16);
  }

  const MIN_ZOOM_SECONDS = 300;  // the server's shortest range

  function zoom(startSeconds, endSeconds) {
    if (!document.querySelector("[data-time-range][data-zoomable]")) return false;
    if (!(endSeconds - startSeconds >= MIN_ZOOM_SECONDS)) {
      const middle = (startSeconds + endSeconds) / 2;
      startSeconds = middle - MIN_ZOOM_SECONDS / 2;
      endSeconds = middle + MIN_ZOOM_SECONDS / 2;
    }
    const url = new URL(location.href);
    PARAMS.forEach(p => url.searchParams.delete(p));
    url.searchParams.delete("page");
    url.searchParams.set("from", minute(startSeconds));
    url.searchParams.set("to", minute(endSeconds + 59));
    location.assign(url.pathname + url.search);
    return true;
  }

  function enabled() {
    return !!document.querySelector("[data-time-range][data-zoomable]");
  }

  const range = current();
  if (range.length) {  // the default range is not carried: nothing to watch for
    carry(range);
    keepInForms(range);
    // Links drawn later by the pages' scripts (tables filled from the API) are carried too.
    new MutationObserver(() => carry(range)).observe(document.querySelector("main") || document.body,
      {childList: true, subtree: true});
  }

  window.KCloudTimeRange = {zoom, enabled};
})();
