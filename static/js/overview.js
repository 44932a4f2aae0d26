/* KCloud Monitor: the fleet overview's idle-waste panel.
 *
 * <section data-idle-waste data-url> names /api/v1/monitoring/efficiency?window=24h&top=5:
 * the energy GPUs and NPUs burned below 1 % utilization, split into allocated (a pod
 * holds the idle device) and unallocated, with its carbon and cost, and the namespaces
 * and devices wasting the most. Loaded after the page so the landing page never waits
 * for a 24 h query; a cluster that did not answer is named, not silently left out.
 * (The 24 h stacked chart on the same page is drawn by monitoring-power.js.)
 */
(function () {
  "use strict";

  function num(v, digits) {
    return v == null ? "—" : v.toLocaleString(undefined, {minimumFractionDigits: digits, maximumFractionDigits: digits});
  }

  function esc(text) {
    const span = document.createElement("span");
    span.textContent = text == null ? "" : String(text);
    return span.innerHTML;
  }

  function kpi(label, value, unit, sub, name) {
    return "<div class=\"kpi\" data-waste=\"" + name + "\"><div class=\"label\">" + esc(label) + "</div><div class=\"value\">" +
      esc(value) + (value !== "—" && unit ? " <small>" + esc(unit) + "</small>" : "") + "</div><div class=\"sub\">" +
      esc(sub) + "</div></div>";
  }

  function render(body, answer) {
    const t = answer.totals || {};
    const top = answer.top || {namespaces: [], devices: []};
    const money = t.cost == null ? "—" : num(t.cost, t.cost >= 100 ? 0 : 2) + (t.currency ? " " + t.currency : "");
    let html = "";
    if (t.partial) {
      const missing = t.missing_clusters || [];
      const text = missing.length === 1
        ? gettext("Partial: %(clusters)s did not answer, so the waste below leaves it out.")
        : gettext("Partial: %(clusters)s did not answer, so the waste below leaves them out.");
      html += "<p class=\"notice notice-info partial-notice\">" + esc(interpolate(text, {clusters: missing.join(", ")}, true)) + "</p>";
    }
    html += "<div class=\"kpis kpis-4\">" +
      kpi(gettext("Idle energy"), num(t.idle_waste_kwh, 2), "kWh", interpolate(gettext("allocated %(allocated)s · unallocated %(unallocated)s"),
          {allocated: num(t.allocated_idle_kwh, 2), unallocated: num(t.unallocated_idle_kwh, 2)}, true), "kwh") +
      kpi(gettext("Its carbon"), num(t.carbon_grams, 0), "g CO₂e", t.carbon_grams == null ? gettext("a cluster has no PUE or intensity") : gettext("IT kWh x PUE x intensity"), "carbon") +
      kpi(gettext("Its cost"), money, "", t.cost == null ? gettext("no PUE or price, or mixed currencies") : gettext("IT kWh x PUE x price"), "cost") +
      kpi(gettext("GPU utilization"), num(t.gpu_utilization_percent, 1), "%", gettext("fleet mean over 24 h"), "gpu-util") +
      "</div>";
    const rows = (top.namespaces || []).filter(r => r.idle_energy_kwh > 0);
    html += "<table class=\"data waste-top\"><thead><tr><th>" + esc(gettext("Namespace holding idle devices")) + "</th><th>" +
      esc(gettext("Cluster")) + "</th><th class=\"num\">" + esc(gettext("Idle energy (kWh)")) + "</th></tr></thead><tbody>";
    html += rows.length ? rows.map(r => "<tr data-namespace=\"" + esc(r.namespace) + "\"><td class=\"nowrap\">" + esc(r.namespace) +
      "</td><td class=\"nowrap\">" + esc(r.cluster) + "</td><td class=\"num\">" + num(r.idle_energy_kwh, 3) + "</td></tr>").join("")
      : "<tr><td colspan=\"3\" class=\"empty\">" + esc(gettext("No pod holds an idle accelerator.")) + "</td></tr>";
    html += "</tbody></table>";
    const devices = (top.devices || []).filter(r => r.idle_energy_kwh > 0).slice(0, 3);
    if (devices.length) {
      const listed = devices.map(d => esc(interpolate(
        d.allocated ? gettext("%(device)s on %(node)s (%(cluster)s, allocated): %(kwh)s kWh")
          : gettext("%(device)s on %(node)s (%(cluster)s, unallocated): %(kwh)s kWh"),
        {device: (d.kind || "").toUpperCase() + " " + (d.model || ""), node: d.node || "?", cluster: d.cluster,
         kwh: num(d.idle_energy_kwh, 2)}, true))).join("; ");
      html += "<p class=\"muted small\">" + esc(gettext("Most idle devices:")) + " " + listed + ". <a href=\"" +
        esc(body.dataset.efficiencyUrl || "") + "\">" + esc(gettext("Same data as JSON")) + "</a>.</p>";
    }
    body.innerHTML = html;
  }

  async function load(section) {
    const body = section.querySelector(".waste-body");
    section.dataset.state = "loading";  // tests (and the page-wide audits) wait for "done"
    body.dataset.efficiencyUrl = section.dataset.url;
    try {
      render(body, await KCloudCharts.fetchJSON(section.dataset.url));
    } catch (error) {
      KCloudCharts.message(body, interpolate(gettext("Idle waste could not be loaded: %(why)s"), {why: error.message}, true), "error");
    }
    section.dataset.state = "done";
  }

  document.querySelectorAll("section[data-idle-waste]").forEach(load);
})();
