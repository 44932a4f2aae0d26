/* KCloud Monitor: the live power page (/monitoring/live/).
 *
 * #live names the stream (data-ws-path, data-sse-path); KCloudLive (live-stream.js)
 * delivers each message. Every "power" message appends one point per group to the
 * chart (at most an hour of points), updates the total, the per-cluster table and,
 * grouped by resource type, the per-type table; "error" messages name the cluster
 * that failed (the stream goes on). The connection state is always on screen.
 * figure[data-live-chart] carries data-points (the chart's point count) for tests.
 */
(function () {
  "use strict";

  const root = document.getElementById("live");
  if (!root) return;

  // The part colours of the other monitoring pages (monitoring-power.js, the .pb-* swatches).
  const PART_COLORS = {cpu: "#1f6feb", dram: "#8250df", gpu: "#1a7f37", npu: "#bf3989", other: "#9a6700"};
  const PART_LABELS = {cpu: "CPU", dram: "DRAM", gpu: "GPU", npu: "NPU", other: gettext("Other (wall - parts)")};
  const groupBy = root.dataset.groupBy;
  const interval = Number(root.dataset.interval || 5);
  const maxPoints = Math.max(60, Math.ceil(3600 / interval));
  const figure = root.querySelector("figure[data-live-chart]");
  const body = figure.querySelector(".chart-body");
  const stateEl = root.querySelector(".live-state");
  const errorsEl = root.querySelector(".live-errors");
  const failures = new Map();  // cluster -> message of its last error, while it keeps failing
  // Three missed messages (and at least 10 s: a slow poll is not an outage) make the value stale.
  const clock = KCloudLive.age(root.querySelector(".live-bar"), Math.max(10, 3 * interval));

  const keys = [];       // group keys in chart order
  const data = new Map(); // key -> values, aligned with xs
  const xs = [];
  const total = [];
  let chart = null;

  function watts(v, digits) {
    return v == null ? "—" : v.toLocaleString(undefined, {maximumFractionDigits: digits == null ? 0 : digits});
  }

  function label(key) {
    return groupBy === "resource_type" ? (PART_LABELS[key] || key) : key;
  }

  function setState(state, detail) {
    KCloudLive.showState(stateEl, state, detail);
  }

  function showFailures() {
    if (!failures.size) { errorsEl.hidden = true; errorsEl.textContent = ""; return; }
    errorsEl.hidden = false;
    errorsEl.textContent = "";
    const strong = document.createElement("strong");
    strong.textContent = failures.size === 1 ? "A cluster is failing: " : failures.size + " clusters are failing: ";
    errorsEl.appendChild(strong);
    errorsEl.appendChild(document.createTextNode(Array.from(failures, ([name, text]) => name + " — " + text).join("; ")
      + ". The stream goes on with the others."));
  }

  // The chart's columns: time, each group, then the total (only when there is more than one group).
  function columns() {
    const cols = [xs, ...keys.map(k => data.get(k))];
    if (keys.length > 1) cols.push(total);
    return cols;
  }

  // HH:MM:SS (UTC): a live chart spans minutes, not days.
  function secondLabels(u, vals) {
    return vals.map(v => v % 1 ? "" : new Date(v * 1000).toISOString().slice(11, 19));  // whole seconds only
  }

  function build() {
    const series = keys.map(k => ({label: label(k), points: xs.map((x, i) => [x, data.get(k)[i]])}));
    const colors = keys.map((k, i) => (groupBy === "resource_type" && PART_COLORS[k])
      || KCloudCharts.palette[i % KCloudCharts.palette.length]);
    if (keys.length > 1) {
      series.push({label: gettext("Total"), points: xs.map((x, i) => [x, total[i]])});
      colors.push(KCloudCharts.cssColor("--ink", "#1f2328"));  // the text colour: dark on a light page, light on a dark one
    }
    chart = KCloudCharts.timeSeries(body, {unit: "W", series, colors, xValues: secondLabels, height: 340});
  }

  function append(message) {
    const t = Date.parse(message.timestamp) / 1000;
    if (xs.length && t <= xs[xs.length - 1]) return;  // a replayed or out-of-order message: not a new point
    const groups = message.groups || {};
    let rebuild = chart === null;
    Object.keys(groups).forEach(k => {
      if (data.has(k)) return;
      keys.push(k);
      data.set(k, xs.map(() => null));
      rebuild = true;  // a new group: a new series
    });
    xs.push(t);
    keys.forEach(k => data.get(k).push(groups[k] == null ? null : groups[k]));
    total.push(message.total_power_watts == null ? null : message.total_power_watts);
    if (xs.length > maxPoints) {
      xs.shift();
      total.shift();
      data.forEach(values => values.shift());
    }
    if (rebuild) build(); else chart.setData(columns());
    figure.dataset.points = String(xs.length);
    root.querySelector("[data-live-count]").textContent = String(xs.length);
  }

  function updateTables(message) {
    const answering = (message.clusters || []).filter(c => c.status === "ok").length;
    root.querySelector("[data-live-total]").innerHTML = "";
    root.querySelector("[data-live-total]").append(watts(message.total_power_watts), " ");
    const unit = document.createElement("small");
    unit.textContent = "W";
    root.querySelector("[data-live-total]").append(unit);
    root.querySelector("[data-live-total-sub]").textContent = answering < (message.clusters || []).length
      ? gettext("partial: failing clusters left out") : gettext("sum of the answering clusters");
    root.querySelector("[data-live-answering]").textContent = String(answering);
    (message.clusters || []).forEach(c => {
      const row = root.querySelector('tr[data-cluster="' + CSS.escape(c.name) + '"]');
      if (!row) return;
      const badge = row.querySelector(".live-cluster-state");
      badge.innerHTML = "";
      const span = document.createElement("span");
      span.className = "badge " + (c.status === "ok" ? "badge-ok" : "badge-error");
      span.textContent = c.status === "ok" ? gettext("ok") : gettext("error");
      if (c.status !== "ok" && failures.has(c.name)) span.title = failures.get(c.name);
      badge.appendChild(span);
      row.classList.toggle("row-down", c.status !== "ok");
      row.querySelector(".live-cluster-power").textContent = watts(c.power_watts);
      if (c.status === "ok") failures.delete(c.name);
    });
    const table = root.querySelector(".live-groups tbody");
    if (table) {
      table.innerHTML = "";
      Object.entries(message.groups || {}).forEach(([k, v]) => {
        const tr = document.createElement("tr");
        tr.dataset.group = k;
        const name = document.createElement("td");
        const swatch = document.createElement("i");
        swatch.className = "swatch pb-" + k;
        name.append(swatch, label(k));
        const value = document.createElement("td");
        value.className = "num";
        value.textContent = watts(v);
        tr.append(name, value);
        table.appendChild(tr);
      });
    }
    root.querySelector(".live-last").textContent = interpolate(gettext("Last message %(time)s · seq %(seq)s"),
      {time: message.timestamp.replace("T", " ").replace("Z", " UTC"), seq: message.seq}, true);
    clock.seen(message.timestamp);
    showFailures();
  }

  function onMessage(message) {
    if (message.type === "power") {
      append(message);
      updateTables(message);
    } else if (message.type === "error" && message.cluster) {
      failures.set(message.cluster, message.message || message.code || "error");
      showFailures();
    }
  }

  setState("connecting");
  KCloudLive.open({wsPath: root.dataset.wsPath, ssePath: root.dataset.ssePath, onMessage, onState: setState});
})();
