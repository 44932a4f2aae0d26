/* KCloud Monitor: small wrapper around uPlot (static/vendor/uplot) shared by the pages.
 *
 * KCloudCharts.timeSeries(element, {title, unit, series: [{label, points: [[ts, value|null], ...]}], stacked})
 *   draws a time-series chart; timestamps in seconds (UTC), values null for gaps.
 *   Optional: colors (one per series, else the palette), xValues (an x-axis label function, else utcLabels).
 * KCloudCharts.fetchJSON(url) → Promise of the API answer (session cookie; errors as Error with the API message).
 * KCloudCharts.message(element, text, kind) shows a "not available" / error note instead of a chart.
 * KCloudCharts.describe(figure, text) gives a figure its text alternative (a visually hidden summary
 *   that describes it; named by its figcaption, data-title or section heading). Both charts above
 *   write theirs after drawing: the time span, and each series' latest, lowest and highest value.
 * KCloudCharts.cssColor(name, fallback) → a colour of the page's scheme (kcloud.css variables).
 */
(function () {
  "use strict";

  // Narrower than this a chart's axes leave no room for the lines: it scrolls instead.
  const MIN_WIDTH = 200;
  const PALETTE = ["#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#0a7ea4", "#bf3989", "#57606a",
                   "#fb8500", "#2da44e"];

  function message(element, text, kind) {
    element.innerHTML = "";
    const note = document.createElement("div");
    note.className = "chart-note " + (kind === "error" ? "notice notice-error" : "notice notice-info");
    note.textContent = text;
    element.appendChild(note);
  }

  async function fetchJSON(url) {
    const response = await fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}});
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    if (!response.ok) {
      const text = body && body.error ? body.error.message : ("HTTP " + response.status);
      throw new Error(text);
    }
    return body;
  }

  // Align every series on the union of timestamps (uPlot wants one x array).
  function align(series) {
    const stamps = new Set();
    series.forEach(s => s.points.forEach(p => stamps.add(p[0])));
    const xs = Array.from(stamps).sort((a, b) => a - b);
    const index = new Map(xs.map((t, i) => [t, i]));
    const ys = series.map(s => {
      const column = new Array(xs.length).fill(null);
      s.points.forEach(p => { column[index.get(p[0])] = p[1]; });
      return column;
    });
    return [xs, ...ys];
  }

  function stack(data) {
    const out = [data[0]];
    let running = new Array(data[0].length).fill(0);
    for (let i = 1; i < data.length; i++) {
      running = running.map((v, j) => v + (data[i][j] == null ? 0 : data[i][j]));
      out.push(running.slice());
    }
    return out;
  }

  // "2026-11-26 08:30" (UTC) for legends.
  function stamp(seconds) {
    return new Date(seconds * 1000).toISOString().slice(0, 16).replace("T", " ");
  }

  // 24-hour UTC axis labels; the date only where it changes.
  function utcLabels(u, vals) {
    return vals.map((v, i) => {
      const d = new Date(v * 1000);
      const hm = String(d.getUTCHours()).padStart(2, "0") + ":" + String(d.getUTCMinutes()).padStart(2, "0");
      const prev = i > 0 ? new Date(vals[i - 1] * 1000) : null;
      const day = String(d.getUTCMonth() + 1).padStart(2, "0") + "-" + String(d.getUTCDate()).padStart(2, "0");
      return (!prev || prev.getUTCDate() !== d.getUTCDate()) ? hm + "\n" + day : hm;
    });
  }

  /* The width a chart gets: its container's content box, whatever the window is (a panel
   * on a phone is far narrower than the window on a desktop). 600 while it is not laid out. */
  function widthOf(element) {
    const style = getComputedStyle(element);
    const width = element.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return Math.max(Math.floor(width) || 600, MIN_WIDTH);
  }

  /* Keep ``chart`` as wide as ``element`` when the element changes width (window resized,
   * phone turned, panel reflowed); a chart that a newer one replaced stops following. */
  function follow(element, chart, height) {
    let last = widthOf(element);
    const observer = new ResizeObserver(() => {
      if (!chart.root.isConnected) { observer.disconnect(); return; }
      const width = widthOf(element);
      if (width !== last) { last = width; chart.setSize({width, height}); }
    });
    observer.observe(element);
  }

  /* A stacked power chart: layers [{label, color, raw}] already cumulated into
   * ``stacked`` (one array per layer, bottom-up); the legend shows each layer's own
   * value (``raw``) at the cursor, or at index ``last`` off the chart. */
  function stackedChart(body, {xs, layers, stacked, last, height, fmt, yValues}) {
    body.innerHTML = "";
    const config = {
      width: widthOf(body),
      height: height,
      scales: {x: {time: true}, y: {range: (u, min, max) => [0, max > 0 ? max * 1.05 : 1]}},
      axes: themed([{values: utcLabels}, {label: "W", size: 70, values: yValues}]),
      series: [{label: gettext("time (UTC)"), value: (u, v) => stamp(v == null ? xs[last] : v)}]
        .concat(layers.map(layer => ({
          label: layer.label,
          stroke: layer.color,
          fill: layer.color + "99",
          width: 1,
          spanGaps: false,
          value: (u, v, s, idx) => fmt(layer.raw[idx == null ? last : idx]),
        }))),
      // Fill each layer down to the one below it (uPlot's stacking idiom).
      bands: layers.slice(1).map((_, i) => ({series: [i + 2, i + 1]})),
      legend: {live: true},
      ...zoomOptions(),
    };
    accessible(config, body, () => ({xs, series: layers.map(l => ({label: l.label, values: l.raw})), format: fmt}));
    const chart = new uPlot(config, [xs, ...stacked], body);
    legendButtons(chart);
    follow(body, chart, height);
    return chart;
  }

  /* Dragging across a chart selects a sub-range; on a page with the time-range control the
   * page reopens on it (static/js/time-range.js), so its tables follow the chart. */
  function zoomOptions() {
    return {
      cursor: {drag: {x: true, y: false, setScale: false}},
      hooks: {setSelect: [u => {
        if (u.select.width < 4 || !window.KCloudTimeRange || !KCloudTimeRange.enabled()) return;
        KCloudTimeRange.zoom(u.posToVal(u.select.left, "x"), u.posToVal(u.select.left + u.select.width, "x"));
      }]},
    };
  }

  function formatValue(unit) {
    return (u, v) => v == null ? "—" : (Math.abs(v) >= 1000 ? v.toLocaleString(undefined, {maximumFractionDigits: 0})
      : v.toLocaleString(undefined, {maximumFractionDigits: 2})) + (unit ? " " + unit : "");
  }

  function timeSeries(element, options) {
    const series = (options.series || []).filter(s => s.points && s.points.length);
    if (!series.length) {
      message(element, options.empty || gettext("No data for this period."), "info");
      return null;
    }
    const raw = align(series);  // the summary tells each series' own values, not the running sums
    const data = options.stacked ? stack(raw) : raw;
    element.innerHTML = "";
    const config = {
      title: options.title || "",
      width: widthOf(element),
      height: options.height || 260,
      tzDate: ts => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
      scales: {x: {time: true}},
      // 24-hour UTC labels (operators read logs in UTC); date only where it changes.
      axes: themed([{values: options.xValues || utcLabels}, {label: options.unit || "", size: 70, values: (u, vals) => vals.map(v => formatValue("")(u, v))}]),
      series: [{label: gettext("time (UTC)"), value: (u, v) => v == null ? "—" : stamp(v)}].concat(series.map((s, i) => ({
        label: s.label,
        stroke: (options.colors && options.colors[i]) || PALETTE[i % PALETTE.length],
        fill: options.stacked ? ((options.colors && options.colors[i]) || PALETTE[i % PALETTE.length]) + "55" : undefined,
        width: 1.5,
        value: formatValue(options.unit),
        spanGaps: false,
      }))),
      legend: {live: true},
      ...zoomOptions(),
    };
    // Live charts replace their data (setData): the summary follows, from the chart's own columns.
    accessible(config, element, u => ({
      xs: u.data[0],
      series: u.series.slice(1).map((s, i) => ({label: s.label, values: options.stacked ? raw[i + 1] : u.data[i + 1]})),
      format: v => formatValue(options.unit)(u, v),
    }));
    const chart = new uPlot(config, data, element);
    legendButtons(chart);
    chart.kcloudSeries = series;
    follow(element, chart, config.height);
    return chart;
  }

  /* The page's colours (kcloud.css variables, light or dark scheme), read when a chart is drawn:
   * uPlot draws axes, ticks and grid in black, unreadable on a dark panel. */
  function cssColor(name, fallback) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
  }

  function themed(axes) {
    const text = cssColor("--muted", "#656d76");
    const line = cssColor("--line", "#d8dee4");
    return axes.map(axis => ({stroke: text, grid: {stroke: line, width: 1}, ticks: {stroke: line, width: 1}, ...axis}));
  }

  // Another hook beside the ones a config already has (the zoom's setSelect, ...).
  function addHook(config, name, hook) {
    config.hooks = config.hooks || {};
    config.hooks[name] = (config.hooks[name] || []).concat(hook);
  }

  /* A canvas has no text: the chart's figure gets a summary whenever its data is set, and the
   * legend's series toggles tell whether they are on. ``facts(u)`` → {xs, series: [{label, values}], format}. */
  function accessible(config, element, facts) {
    addHook(config, "setData", u => describe(element.closest("figure") || element, summaryText(facts(u))));
    addHook(config, "setSeries", pressed);
  }

  function range(values) {
    return values.reduce(([lo, hi], v) => [Math.min(lo, v), Math.max(hi, v)], [Infinity, -Infinity]);
  }

  // "From 2026-11-26 08:30 to 2026-11-27 08:30 UTC. GPU: latest 512 W, lowest 80 W, highest 700 W. ..."
  function summaryText({xs, series, format}) {
    const times = xs.filter(x => x != null);
    const parts = times.length ? [interpolate(gettext("From %(start)s to %(end)s UTC."),
      {start: stamp(times[0]), end: stamp(times[times.length - 1])}, true)] : [];
    series.forEach(s => {
      const values = s.values.filter(v => v != null && isFinite(v));
      if (!values.length) {
        parts.push(interpolate(gettext("%(series)s: no data."), {series: s.label}, true));
        return;
      }
      const [lowest, highest] = range(values);
      parts.push(interpolate(gettext("%(series)s: latest %(latest)s, lowest %(lowest)s, highest %(highest)s."),
        {series: s.label, latest: format(values[values.length - 1]), lowest: format(lowest), highest: format(highest)}, true));
    });
    return parts.join(" ");
  }

  // A figure with neither a caption nor a name is named by its data-title, else by its section's heading.
  function nameFigure(figure) {
    if (figure.querySelector("figcaption") || figure.hasAttribute("aria-label") || figure.hasAttribute("aria-labelledby")) return;
    const section = figure.closest("[aria-labelledby]");
    if (figure.dataset.title) figure.setAttribute("aria-label", figure.dataset.title);
    else if (section) figure.setAttribute("aria-labelledby", section.getAttribute("aria-labelledby"));
  }

  let summaries = 0;

  function describe(figure, text) {
    nameFigure(figure);
    let note = figure.querySelector(":scope > .chart-summary");
    if (!note) {
      note = document.createElement("p");
      note.className = "visually-hidden chart-summary";
      note.id = "chart-summary-" + (++summaries);
      figure.appendChild(note);
    }
    figure.setAttribute("aria-describedby", note.id);
    note.textContent = text;
  }

  /* uPlot shows or hides a series when its legend label (a <th>) is clicked, which no keyboard
   * can reach: the label's content moves into a real button (its click still reaches uPlot). */
  function legendButtons(chart) {
    chart.root.querySelectorAll(".u-legend tr.u-series").forEach((row, i) => {
      const label = row.querySelector("th");
      if (i === 0 || !label || label.querySelector("button")) return;  // row 0 is the time: nothing to toggle
      const button = document.createElement("button");
      button.type = "button";
      button.className = "u-toggle";
      button.append(...label.childNodes);
      label.appendChild(button);
    });
    pressed(chart);
  }

  function pressed(chart) {
    chart.root.querySelectorAll(".u-legend tr.u-series").forEach((row, i) => {
      const button = row.querySelector("button.u-toggle");
      if (button) button.setAttribute("aria-pressed", String(chart.series[i].show !== false));
    });
  }

  window.KCloudCharts = {timeSeries, stackedChart, utcLabels, stamp, fetchJSON, message, describe, cssColor, palette: PALETTE};
})();
