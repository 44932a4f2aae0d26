/* KCloud Monitor: the 24 h charts of the GPU and NPU detail pages.
 *
 * Each <figure data-chart> names the timeseries API (data-url, already scoped to
 * the device's cluster) and the metrics to draw on it (data-metrics, comma
 * separated, with data-labels). A metric without any sample is left out; when
 * none has data the figure says so (data-empty) instead of drawing an empty chart.
 *
 * Live values (GPU page): [data-gpu-live] names the node's GPU stream; each "gpus"
 * message updates the KPI tiles marked data-live-field (power, temperature,
 * utilization) in place, and the connection state is shown next to them.
 */
(function () {
  "use strict";

  // The words the server prints for a device's status (accelerators/views/lists.py).
  const STATUS_LABELS = {active: gettext("active"), idle: gettext("idle"), unavailable: gettext("unavailable")};

  function seriesOf(body, label) {
    const values = body.values || [];
    // All-null means the exporter does not report it (e.g. utilization under MIG).
    if (!values.some(v => v !== null)) return {label: label, points: []};
    return {label: label, points: (body.timestamps || []).map((t, i) => [t, values[i]])};
  }

  async function draw(figure) {
    const body = figure.querySelector(".chart-body");
    figure.dataset.state = "loading";  // tests (and the page-wide audits) wait for "done"
    const metrics = figure.dataset.metrics.split(",");
    const labels = (figure.dataset.labels || "").split(",");
    const base = figure.dataset.url;
    try {
      const answers = await Promise.all(metrics.map(metric =>
        KCloudCharts.fetchJSON(base + (base.includes("?") ? "&" : "?") + "metric=" + encodeURIComponent(metric))));
      const series = answers.map((answer, i) => seriesOf(answer, labels[i] || metrics[i]));
      const chart = KCloudCharts.timeSeries(body, {
        unit: figure.dataset.unit,
        series: series,
        height: 220,
        empty: figure.dataset.empty,
      });
      figure.classList.toggle("is-empty", chart === null);
    } catch (error) {
      KCloudCharts.message(body, interpolate(gettext("%(title)s could not be loaded: %(error)s"),
        {title: figure.dataset.title, error: error.message}, true), "error");
      figure.classList.add("is-empty");
    }
    figure.dataset.state = "done";
  }

  document.querySelectorAll("figure[data-chart]").forEach(draw);

  const DIGITS = {power_watts: 1, temperature_celsius: 0, utilization_percent: 0};

  function setKpi(tile, value) {
    const element = tile.querySelector(".value");
    element.textContent = KCloudLive.format(value, DIGITS[tile.dataset.liveField]);
    if (value != null) {
      const unit = document.createElement("small");
      unit.textContent = tile.dataset.unit;
      element.append(" ", unit);
    }
    tile.dataset.liveValue = value == null ? "" : String(value);
  }

  function live(bar) {
    if (!window.KCloudLive) return;
    const last = bar.querySelector(".live-last");
    const tiles = document.querySelectorAll("[data-live-field]");
    KCloudLive.openGpus(bar, (gpus, message) => {
      const gpu = gpus.find(g => g.uuid === bar.dataset.uuid);
      if (!gpu) {
        last.textContent = gettext("This GPU is not in the latest reading.");
        return null;
      }
      tiles.forEach(tile => setKpi(tile, gpu[tile.dataset.liveField]));
      const time = message.timestamp.replace("T", " ").replace("Z", " UTC");
      const status = STATUS_LABELS[gpu.status] || gpu.status;
      return interpolate(gettext("Updated %(time)s · %(status)s"), {time, status}, true);
    });
  }

  document.querySelectorAll("[data-gpu-live]").forEach(live);
})();
