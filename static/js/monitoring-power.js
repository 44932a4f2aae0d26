/* KCloud Monitor: the monitoring pages' stacked power chart.
 *
 * <figure data-power-chart data-url data-group> names the power time-series API
 * (/api/v1/monitoring/timeseries/power?group_by=...) and the grouping. Each group
 * is one layer, stacked bottom-up in the API's order, each in its own colour (the
 * page's part colours for resource types; grey for idle, amber for unattributed);
 * the legend shows each layer's own value, not the running sum. Namespaces are
 * summed over clusters (one layer each, plus one idle and one unattributed layer).
 */
(function () {
  "use strict";

  const PART_COLORS = {cpu: "#1f6feb", dram: "#8250df", gpu: "#1a7f37", npu: "#bf3989", other: "#9a6700"};
  const PART_LABELS = {cpu: "CPU", dram: "DRAM", gpu: "GPU", npu: "NPU", other: gettext("Other (wall - parts)")};
  const SPECIAL = {__idle__: [gettext("Idle"), "#8c959f"], __unattributed__: [gettext("Unattributed"), "#d4a72c"]};

  function fmt(v) {
    return v == null ? "—" : v.toLocaleString(undefined, {maximumFractionDigits: 0}) + " W";
  }

  // Label and colour of one API row for the figure's grouping.
  function describe(row, group, i, multiCluster) {
    const palette = KCloudCharts.palette;
    if (group === "resource_type") {
      return [PART_LABELS[row.resource_type] || row.resource_type, PART_COLORS[row.resource_type] || palette[i % palette.length]];
    }
    const key = row[group];
    if (SPECIAL[key]) {
      const [label, color] = SPECIAL[key];
      return [multiCluster ? row.cluster + " · " + label : label, color];
    }
    const label = group === "cluster" || !multiCluster ? key : row.cluster + " · " + key;
    return [label, palette[i % palette.length]];
  }

  // A namespace spans clusters: one layer per namespace (and one idle, one unattributed) for the fleet.
  function mergeNamespaces(rows) {
    const merged = new Map();
    rows.forEach(r => {
      const seen = merged.get(r.namespace);
      if (!seen) {
        merged.set(r.namespace, {namespace: r.namespace, power_watts: r.power_watts.slice()});
        return;
      }
      seen.power_watts = seen.power_watts.map((v, j) => (v == null && r.power_watts[j] == null) ? null
        : (v || 0) + (r.power_watts[j] || 0));
    });
    // Tenants first, then idle and unattributed on top of the stack.
    return Array.from(merged.values()).sort((a, b) => (SPECIAL[a.namespace] ? 1 : 0) - (SPECIAL[b.namespace] ? 1 : 0)
      || (a.namespace === "__idle__" ? -1 : 0) || a.namespace.localeCompare(b.namespace));
  }

  function draw(figure, body, answer) {
    const group = figure.dataset.group;
    const xs = (answer.timestamps || []).map(t => Date.parse(t) / 1000);
    let rows = (answer.results || []).filter(r => (r.power_watts || []).some(v => v != null && v !== 0));
    if (group === "namespace") rows = mergeNamespaces(rows);
    if (!xs.length || !rows.length) {
      KCloudCharts.message(body, gettext("Power not available: no samples in this period."), "info");
      return false;
    }
    const multiCluster = group !== "namespace" && new Set(rows.map(r => r.cluster)).size > 1;
    let colorIndex = 0;
    const layers = rows.map(r => {
      const special = SPECIAL[r[group]] !== undefined;
      const [label, color] = describe(r, group, special ? 0 : colorIndex++, multiCluster);
      return {label, color, raw: r.power_watts};
    });
    // Cumulative sums: a timestamp where no layer has a sample is a gap, not 0 W.
    const empty = xs.map((_, j) => layers.every(l => l.raw[j] == null));
    const stacked = [];
    let running = xs.map(() => 0);
    layers.forEach(layer => {
      running = running.map((v, j) => empty[j] ? null : v + (layer.raw[j] || 0));
      stacked.push(running.slice());
    });
    const last = xs.length - 1 - [...empty].reverse().findIndex(e => !e);
    KCloudCharts.stackedChart(body, {
      xs, layers, stacked, last, fmt,
      height: Number(figure.dataset.height || 300),
      yValues: (u, vals) => vals.map(v => v.toLocaleString(undefined, {maximumFractionDigits: 0})),
    });
    return true;
  }

  async function load(figure) {
    const body = figure.querySelector(".chart-body");
    figure.dataset.state = "loading";  // tests (and the page-wide audits) wait for "done"
    try {
      const answer = await KCloudCharts.fetchJSON(figure.dataset.url);
      figure.classList.toggle("is-empty", !draw(figure, body, answer));
    } catch (error) {
      KCloudCharts.message(body, figure.dataset.title + " could not be loaded: " + error.message, "error");
      figure.classList.add("is-empty");
    }
    figure.dataset.state = "done";
  }

  document.querySelectorAll("figure[data-power-chart]").forEach(load);
})();
