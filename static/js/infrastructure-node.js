/* KCloud Monitor: the node page's 24 h chart of power parts, stacked.
 *
 * <figure data-node-chart data-url> names the node power API (window=24h, already
 * scoped to the node's cluster). The parts are stacked bottom-up CPU, DRAM, GPU,
 * NPU and Other (= DCMI wall power - the parts, only where the BMC meters it), in
 * the colours of the page's composition bar; the legend shows each part's own
 * value, not the running sum.
 *
 * Live values: [data-node-live] names the node's GPU stream; each "gpus" message
 * updates the GPU rows' power and status in the accelerators table, and the GPUs'
 * power sum, mean utilization and hottest temperature, in place (unknown stays "—").
 */
(function () {
  "use strict";

  const PARTS = [
    {key: "cpu_power_watts", label: "CPU", color: "#1f6feb"},
    {key: "dram_power_watts", label: "DRAM", color: "#8250df"},
    {key: "gpu_power_watts", label: "GPU", color: "#1a7f37"},
    {key: "npu_power_watts", label: "NPU", color: "#bf3989"},
    {key: "other", label: gettext("Other (wall - parts)"), color: "#9a6700"},
  ];
  // The words the server prints for a device's status (accelerators/views/lists.py).
  const STATUS_LABELS = {active: gettext("active"), idle: gettext("idle"), unavailable: gettext("unavailable")};

  function other(point) {
    const m = point.measured_power_watts;
    if (m == null || point.cpu_power_watts == null) return null;
    const parts = ["cpu_power_watts", "dram_power_watts", "gpu_power_watts", "npu_power_watts"]
      .reduce((sum, k) => sum + (point[k] || 0), 0);
    return Math.max(m - parts, 0);
  }

  function fmt(v) {
    return v == null ? "—" : v.toLocaleString(undefined, {maximumFractionDigits: 1}) + " W";
  }

  function draw(figure, body, answer) {
    const points = (answer.window && answer.window.series) || [];
    const xs = points.map(p => Date.parse(p.timestamp) / 1000);
    // Parts with no sample at all (an NPU part on a GPU node) are left out of the chart.
    const parts = PARTS.map(part => ({...part, raw: points.map(p => part.key === "other" ? other(p) : p[part.key])}))
      .filter(part => part.raw.some(v => v != null && v !== 0));
    if (!xs.length || !parts.length) {
      KCloudCharts.message(body, gettext("Power not available: no samples in the last 24 h."), "info");
      return false;
    }
    // Cumulative sums; a gap in the CPU part (node silent) is a gap in every layer.
    const stacked = [];
    let running = xs.map(() => 0);
    parts.forEach((part, i) => {
      running = running.map((v, j) => (v == null || (i === 0 && part.raw[j] == null)) ? null : v + (part.raw[j] || 0));
      stacked.push(running.slice());
    });
    KCloudCharts.stackedChart(body, {xs, layers: parts, stacked, last: xs.length - 1, height: 280, fmt});
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

  document.querySelectorAll("figure[data-node-chart]").forEach(load);

  function known(values) {
    return values.filter(v => v != null && isFinite(v));
  }

  function live(bar) {
    if (!window.KCloudLive) return;
    const sum = name => bar.querySelector('[data-live-sum="' + name + '"]');
    KCloudLive.openGpus(bar, (gpus, message) => {
      gpus.forEach(gpu => {
        const row = document.querySelector('tr[data-device="' + CSS.escape(gpu.uuid) + '"]');
        if (!row) return;
        row.querySelector("[data-live-power]").textContent = KCloudLive.format(gpu.power_watts, 1);
        const badge = row.querySelector("[data-live-status] .badge");
        badge.className = "badge badge-" + gpu.status;
        badge.textContent = STATUS_LABELS[gpu.status] || gpu.status;
      });
      const power = known(gpus.map(g => g.power_watts));
      const util = known(gpus.map(g => g.utilization_percent));
      const temp = known(gpus.map(g => g.temperature_celsius));
      // A sum over GPUs that do not all report would be too low: unknown instead.
      sum("power_watts").textContent = power.length === gpus.length && gpus.length
        ? KCloudLive.format(power.reduce((a, b) => a + b, 0), 1) : "—";
      sum("utilization_percent").textContent = util.length ? KCloudLive.format(util.reduce((a, b) => a + b, 0) / util.length, 0) : "—";
      sum("temperature_celsius").textContent = temp.length ? KCloudLive.format(Math.max(...temp), 0) : "—";
      return interpolate(gettext("updated %(time)s UTC"), {time: message.timestamp.slice(11, 19)}, true);
    });
  }

  document.querySelectorAll("[data-node-live]").forEach(live);
})();
