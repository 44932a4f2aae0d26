/* KCloud Monitor: small wrapper around uPlot (static/vendor/uplot) shared by the pages.
 *
 * KCloudCharts.timeSeries(element, {title, unit, series: [{label, points: [[ts, value|null], ...]}], stacked})
 *   draws a time-series chart; timestamps in seconds (UTC), values null for gaps.
 *   Optional: colors (one per series, else the palette), xValues (an x-axis label function, else utcLabels).
 * KCloudCharts.fetchJSON(url) → Promise of the API answer (session cookie; errors as Error with the API message).
 * KCloudCharts.message(element, text, kind) shows a "not available" / error note instead of a chart.
 */
(function () {
  "use strict";

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

  /* A stacked power chart: layers [{label, color, raw}] already cumulated into
   * ``stacked`` (one array per layer, bottom-up); the legend shows each layer's own
   * value (``raw``) at the cursor, or at index ``last`` off the chart. */
  function stackedChart(body, {xs, layers, stacked, last, height, fmt, yValues}) {
    body.innerHTML = "";
    const config = {
      width: Math.max(body.clientWidth || 600, 300),
      height: height,
      scales: {x: {time: true}, y: {range: (u, min, max) => [0, max > 0 ? max * 1.05 : 1]}},
      axes: [{values: utcLabels}, {label: "W", size: 70, values: yValues}],
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
    };
    const chart = new uPlot(config, [xs, ...stacked], body);
    window.addEventListener("resize", () => chart.setSize({width: Math.max(body.clientWidth, 300), height: height}));
    return chart;
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
    let data = align(series);
    if (options.stacked) data = stack(data);
    element.innerHTML = "";
    const width = Math.max(element.clientWidth || 600, 300);
    const config = {
      title: options.title || "",
      width: width,
      height: options.height || 260,
      tzDate: ts => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
      scales: {x: {time: true}},
      // 24-hour UTC labels (operators read logs in UTC); date only where it changes.
      axes: [{values: options.xValues || utcLabels}, {label: options.unit || "", size: 70, values: (u, vals) => vals.map(v => formatValue("")(u, v))}],
      series: [{label: gettext("time (UTC)"), value: (u, v) => v == null ? "—" : stamp(v)}].concat(series.map((s, i) => ({
        label: s.label,
        stroke: (options.colors && options.colors[i]) || PALETTE[i % PALETTE.length],
        fill: options.stacked ? ((options.colors && options.colors[i]) || PALETTE[i % PALETTE.length]) + "55" : undefined,
        width: 1.5,
        value: formatValue(options.unit),
        spanGaps: false,
      }))),
      legend: {live: true},
    };
    const chart = new uPlot(config, data, element);
    chart.kcloudSeries = series;
    window.addEventListener("resize", () => chart.setSize({width: Math.max(element.clientWidth, 300), height: config.height}));
    return chart;
  }

  window.KCloudCharts = {timeSeries, stackedChart, utcLabels, stamp, fetchJSON, message, palette: PALETTE};
})();
