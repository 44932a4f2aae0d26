/* KCloud Monitor: the cluster topology graph (cluster detail page), drawn as SVG.
 *
 * <figure data-topology data-url> names /api/v1/clusters/{name}/topology. The graph is
 * laid out in one horizontal band per node (the node's pods are drawn inside its band,
 * so "hosts" edges need no lines), with four columns: node → devices (GPUs, NPUs) →
 * MIG instances / NPU partitions → pods. Pods holding a device sit in the first pod
 * column next to it, joined by an "allocated_to" line whose width follows the share;
 * the other pods fill a grid. Fill colour = power, relative to the largest vertex of
 * the same kind (a pod's few watts are not compared with a node's kilowatts); the mark
 * is the status, by shape as well as colour. Hovering a box shows its values (SVG <title>);
 * the figure's text alternative names each node's power and every vertex needing attention.
 * A <select data-topology-node> narrows the graph to one node (?node=).
 */
(function () {
  "use strict";

  const NS = "http://www.w3.org/2000/svg";
  const ROW = 26; // one device / pod row
  const BOX = 20; // box height
  const BAND_PAD = 8;
  const W = {node: 170, device: 196, slice: 150, pod: 190};
  const GAP = 30;
  const NODE_BOX = 3 * ROW - 6; // the band's background shows how far a node reaches
  // A dark page gets a dark ramp (light text on low power) and brighter marks, a light page light ones.
  const DARK = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  // Status by shape as well as colour (the legend shows the same marks): one colour per shape.
  const MARK_COLORS = DARK ? {ok: "#3fb950", idle: "#8b949e", pending: "#d29922", bad: "#f85149"}
    : {ok: "#1a7f37", idle: "#8c959f", pending: "#9a6700", bad: "#d1242f"};
  const STATUS_SHAPES = {
    active: "ok", ready: "ok", Running: "ok", Succeeded: "ok",
    idle: "idle", unknown: "idle", Unknown: "idle", Pending: "pending",
    unavailable: "bad", not_ready: "bad", Failed: "bad",
  };
  // Shapes centred on (8, 10), the mark's place in a box.
  const SHAPES = {
    ok: color => ["circle", {cx: 8, cy: 10, r: 3.5, fill: color}],
    idle: color => ["circle", {cx: 8, cy: 10, r: 3, fill: "none", stroke: color, "stroke-width": 1.5}],
    pending: color => ["path", {d: "M8,5.5 L12,13 L4,13 Z", fill: color}],
    bad: color => ["rect", {x: 4.5, y: 6.5, width: 7, height: 7, fill: color}],
  };
  // Where the text turns from dark to light (light ramp) or back (dark ramp): both inks contrast best there.
  const INK_SWITCH = 0.7;
  const KIND_LABELS = {node: gettext("node"), gpu: "GPU", npu: "NPU", mig: gettext("MIG instance"),
                       partition: gettext("NPU partition"), pod: gettext("pod")};

  function el(name, attrs, parent) {
    const node = document.createElementNS(NS, name);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (parent) parent.appendChild(node);
    return node;
  }

  function count(n, text) {  // text: ngettext("%(n)s node", "%(n)s nodes", n), literal for makemessages
    return interpolate(text, {n}, true);
  }

  function watts(v) {
    return v == null ? "—" : v.toLocaleString(undefined, {maximumFractionDigits: v < 10 ? 1 : 0}) + " W";
  }

  // "NVIDIA H100 80GB HBM3" → "H100 80GB HBM3": the vendor is in the hover text.
  function shortModel(model) {
    return model.replace(/^(NVIDIA|Tesla)\s+/i, "");
  }

  // Power → fill: light to dark blue along the kind's range (dark to bright on a dark page); unknown → grey.
  function fill(v, top) {
    if (v == null) return DARK ? "#21262d" : "#f1f3f5";
    const t = top > 0 ? Math.max(0, Math.min(1, v / top)) : 0;
    return DARK ? "hsl(214, 60%, " + (18 + 44 * t).toFixed(1) + "%)" : "hsl(214, 80%, " + (94 - 56 * t).toFixed(1) + "%)";
  }

  function ink(v, top) {
    const high = v != null && top > 0 && v / top > INK_SWITCH;
    if (DARK) return high ? "#0d1117" : "#e6edf3";
    return high ? "#ffffff" : "#1f2328";
  }

  // ``edge``: the box's text colour, a thin outline that keeps a filled mark clear of any fill.
  function statusMark(parent, status, edge) {
    const shape = STATUS_SHAPES[status] || "idle";
    const [name, attrs] = SHAPES[shape](MARK_COLORS[shape]);
    const outline = shape === "idle" ? {} : {stroke: edge, "stroke-width": 0.75};
    return el(name, {...attrs, ...outline, class: "topo-status", "data-status": status || "unknown"}, parent);
  }

  // The same mark for the legend, drawn by CSS (.topo-legend .mark-*): the figure's one SVG is the graph.
  function legendMark(shape) {
    return "<i class=\"mark mark-" + shape + "\" style=\"color: " + MARK_COLORS[shape] + "\"></i>";
  }

  // "label: value" in the page's language (the labels are the tooltip's only words).
  function fact(template, values) {
    return interpolate(template, values, true);
  }

  function tooltip(v) {
    const lines = [KIND_LABELS[v.kind] + ": " + v.label];
    if (v.kind === "gpu" || v.kind === "npu") lines.push(v.name);
    if (v.model) lines.push(fact(gettext("model: %(model)s"), {model: v.model + (v.vendor ? " (" + v.vendor + ")" : "")}));
    if (v.namespace) lines.push(fact(gettext("namespace: %(namespace)s"), {namespace: v.namespace}));
    if (v.node && v.kind !== "node") lines.push(fact(gettext("node: %(node)s"), {node: v.node}));
    lines.push(v.power_share != null
      ? fact(gettext("power: %(power)s (%(share)s of the device)"),
        {power: watts(v.power_watts), share: (100 * v.power_share).toFixed(1) + " %"})
      : fact(gettext("power: %(power)s"), {power: watts(v.power_watts)}));
    if (v.status) lines.push(fact(gettext("status: %(status)s"), {status: v.status}));
    if (v.utilization_percent != null) {
      lines.push(fact(gettext("utilization: %(value)s"), {value: v.utilization_percent.toFixed(1) + " %"}));
    }
    if (v.temperature_celsius != null) {
      lines.push(fact(gettext("temperature: %(value)s"), {value: v.temperature_celsius.toFixed(0) + " °C"}));
    }
    return lines.join("\n");
  }

  function box(svg, v, x, y, w, h, tops, text) {
    const g = el("g", {class: "topo-v topo-" + v.kind, "data-kind": v.kind, "data-id": v.id,
                       transform: "translate(" + x + "," + y + ")"}, svg);
    el("title", {}, g).textContent = tooltip(v);
    const top = tops[v.kind];
    el("rect", {width: w, height: h, rx: 4, fill: fill(v.power_watts, top),
                class: v.power_watts == null ? "unknown" : ""}, g);
    statusMark(g, v.status, ink(v.power_watts, top));
    // A node's name gets the whole first line (its watts go below it); others: label left, watts right.
    const stacked = v.kind === "node";
    const value = el("text", stacked ? {x: 16, y: 31, class: "topo-w", fill: ink(v.power_watts, top)}
      : {x: w - 5, y: 14, "text-anchor": "end", class: "topo-w", fill: ink(v.power_watts, top)}, g);
    value.textContent = watts(v.power_watts);
    const label = el("text", {x: 16, y: 14, class: "topo-l", fill: ink(v.power_watts, top)}, g);
    label.textContent = text;
    // Measured, not guessed: shorten the label until it clears the watts on the right.
    const room = w - 16 - 10 - (stacked ? 0 : value.getComputedTextLength());
    let keep = text.length;
    while (keep > 3 && label.getComputedTextLength() > room) {
      keep -= 1;
      label.textContent = text.slice(0, keep) + "…";
    }
    return g;
  }

  function curve(svg, x1, y1, x2, y2, cls, width) {
    const mx = (x1 + x2) / 2;
    el("path", {d: "M" + x1 + "," + y1 + " C" + mx + "," + y1 + " " + mx + "," + y2 + " " + x2 + "," + y2,
                class: cls, "stroke-width": width || 1.2, fill: "none"}, svg);
  }

  function layout(graph, width) {
    const vertices = graph.nodes;
    const byId = new Map(vertices.map(v => [v.id, v]));
    const children = new Map();
    vertices.forEach(v => {
      if (!v.parent) return;
      if (!children.has(v.parent)) children.set(v.parent, []);
      children.get(v.parent).push(v);
    });
    const allocations = graph.edges.filter(e => e.kind === "allocated_to");
    const hasSlices = vertices.some(v => v.kind === "mig" || v.kind === "partition");
    const x = {node: 0, device: W.node + GAP};
    x.slice = x.device + W.device + GAP;
    x.pod = (hasSlices ? x.slice + W.slice : x.device + W.device) + GAP + 10;
    const podColumns = Math.max(1, Math.floor((width - x.pod + 8) / (W.pod + 8)));
    const bands = [];
    const pos = new Map();
    let top = 0;
    vertices.filter(v => v.kind === "node").forEach(node => {
      const kids = children.get(node.id) || [];
      const devices = kids.filter(v => v.kind === "gpu" || v.kind === "npu");
      const pods = kids.filter(v => v.kind === "pod");
      let row = 0;
      const rows = [];
      devices.forEach(d => {
        const slices = children.get(d.id) || [];
        pos.set(d.id, {x: x.device, row, w: W.device});
        slices.forEach((s, i) => pos.set(s.id, {x: x.slice, row: row + i, w: W.slice}));
        rows.push(d, ...slices);
        row += Math.max(1, slices.length);
      });
      // Pods holding a device go in the first pod column, on the row of the first device or
      // slice they hold (lines stay short and level); the other pods fill the free cells.
      const rowOf = new Map(rows.map(v => [v.id, pos.get(v.id).row]));
      const taken = new Set();
      const held = [];
      allocations.forEach(e => {
        if (!rowOf.has(e.source) || !byId.has(e.target) || held.includes(e.target)) return;
        let r = rowOf.get(e.source);
        while (taken.has(r + ":0")) r += 1;
        taken.add(r + ":0");
        held.push(e.target);
        pos.set(e.target, {x: x.pod, row: r, w: W.pod});
      });
      let cell = 0;
      let lastRow = held.length ? Math.max(...held.map(id => pos.get(id).row)) : -1;
      pods.filter(p => !held.includes(p.id)).forEach(p => {
        let r, c;
        do {
          r = Math.floor(cell / podColumns);
          c = cell % podColumns;
          cell += 1;
        } while (taken.has(r + ":" + c));
        taken.add(r + ":" + c);
        lastRow = Math.max(lastRow, r);
        pos.set(p.id, {x: x.pod + c * (W.pod + 8), row: r, w: W.pod});
      });
      const podRows = lastRow + 1;
      const height = Math.max(row, podRows, 3) * ROW + 2 * BAND_PAD;
      pos.set(node.id, {x: x.node, row: 0, w: W.node, h: height - 2 * BAND_PAD});
      bands.push({node, top, height, devices: devices.length, pods: pods.length});
      top += height;
    });
    return {byId, pos, bands, height: top, allocations, x};
  }

  function render(container, graph) {
    container.innerHTML = "";
    const width = Math.max(container.clientWidth || 900, 760);
    const L = layout(graph, width);
    const tops = {};
    graph.nodes.forEach(v => {
      if (v.power_watts != null) tops[v.kind] = Math.max(tops[v.kind] || 0, v.power_watts);
    });
    const svg = el("svg", {width, height: Math.max(L.height, 60), viewBox: "0 0 " + width + " " + Math.max(L.height, 60),
                           role: "img", "aria-label": gettext("Cluster topology"), class: "topo-svg",
                           "data-vertices": graph.nodes.length}, container);
    const y = id => {
      const band = L.bands.find(b => b.node.id === (L.byId.get(id).kind === "node" ? id : nodeOf(id)));
      return band.top + BAND_PAD + L.pos.get(id).row * ROW;
    };
    function nodeOf(id) {
      let v = L.byId.get(id);
      while (v && v.kind !== "node") v = L.byId.get(v.parent);
      return v ? v.id : null;
    }
    const bandLayer = el("g", {class: "topo-bands"}, svg);
    const edgeLayer = el("g", {class: "topo-edges"}, svg);
    const boxLayer = el("g", {class: "topo-boxes"}, svg);
    L.bands.forEach((b, i) => {
      el("rect", {x: 0, y: b.top, width, height: b.height, class: i % 2 ? "band odd" : "band"}, bandLayer);
      const n = b.node;
      const p = L.pos.get(n.id);
      const g = box(boxLayer, n, p.x, b.top + BAND_PAD, p.w, Math.min(Math.max(p.h, BOX), NODE_BOX), tops, n.label);
      const sub = el("text", {x: 16, y: 47, class: "topo-sub", fill: ink(n.power_watts, tops.node)}, g);
      sub.textContent = count(b.devices, ngettext("%(n)s device", "%(n)s devices", b.devices)) + " · " +
        count(b.pods, ngettext("%(n)s pod", "%(n)s pods", b.pods));
      if (b.pods === 0 && b.devices === 0) {
        el("text", {x: L.x.device, y: b.top + BAND_PAD + 14, class: "topo-empty"}, bandLayer).textContent = gettext("no devices or pods");
      }
    });
    let deviceCount = 0;
    graph.nodes.forEach(v => {
      if (v.kind === "node" || !L.pos.has(v.id)) return;
      const p = L.pos.get(v.id);
      const top = y(v.id);
      box(boxLayer, v, p.x, top, p.w, BOX, tops, v.kind === "pod" ? v.label
        : v.label + (v.model && (v.kind === "gpu" || v.kind === "npu") ? " · " + shortModel(v.model) : ""));
      if (v.kind === "gpu" || v.kind === "npu") {
        deviceCount += 1;
        const parent = L.pos.get(v.parent);
        const band = L.bands.find(b => b.node.id === v.parent);
        curve(edgeLayer, parent.x + parent.w, band.top + BAND_PAD + 10, p.x, top + 10, "topo-e hosts");
      } else if (v.kind === "mig" || v.kind === "partition") {
        const parent = L.pos.get(v.parent);
        curve(edgeLayer, parent.x + parent.w, y(v.parent) + 10, p.x, top + 10, "topo-e contains");
      }
    });
    L.allocations.forEach(e => {
      if (!L.pos.has(e.source) || !L.pos.has(e.target)) return;
      const s = L.pos.get(e.source);
      const t = L.pos.get(e.target);
      curve(edgeLayer, s.x + s.w, y(e.source) + 10, t.x, y(e.target) + 10, "topo-e allocated",
            1 + 2.5 * (e.share == null ? 0 : e.share));
    });
    svg.setAttribute("data-devices", deviceCount);
    KCloudCharts.describe(container.closest("figure"), summary(graph, L.bands));
    return tops;
  }

  function legend(element, tops, graph) {
    const t = graph.totals || {counts: {}};
    const nodes = t.counts.node || 0, devices = (t.counts.gpu || 0) + (t.counts.npu || 0), pods = t.counts.pod || 0;
    const parts = [["node", gettext("node")], ["gpu", "GPU"], ["npu", "NPU"], ["pod", gettext("pod")]]
      .filter(([k]) => tops[k] != null)
      .map(([k, label]) => "<span>" + label + " " + watts(tops[k]) + "</span>");
    element.innerHTML =
      "<span class=\"topo-scale\"><span class=\"topo-gradient\"></span>" + gettext("power, relative to the largest of its kind:") +
      " " + parts.join(" · ") + "</span>" +
      "<span>" + legendMark("ok") + gettext("active / ready / running") + "</span>" +
      "<span>" + legendMark("idle") + gettext("idle") + "</span>" +
      "<span>" + legendMark("pending") + gettext("pending") + "</span>" +
      "<span>" + legendMark("bad") + gettext("unavailable / not ready") + "</span>" +
      "<span><i class=\"line allocated\"></i>" + gettext("allocated to pod (width = share)") + "</span>" +
      "<span class=\"muted\">" + count(nodes, ngettext("%(n)s node", "%(n)s nodes", nodes)) + " · " +
      count(devices, ngettext("%(n)s device", "%(n)s devices", devices)) + " · " +
      count(pods, ngettext("%(n)s pod", "%(n)s pods", pods)) + " · " + gettext("MIG / partition power is a part of its device's") + "</span>";
  }

  /* The graph in words (the SVG is one image to a screen reader): each node's power, devices
   * and pods, then the vertices whose status needs a look. */
  function summary(graph, bands) {
    const lines = bands.map(b => interpolate(gettext("%(node)s: %(power)s, %(devices)s, %(pods)s."), {
      node: b.node.label, power: watts(b.node.power_watts),
      devices: count(b.devices, ngettext("%(n)s device", "%(n)s devices", b.devices)),
      pods: count(b.pods, ngettext("%(n)s pod", "%(n)s pods", b.pods)),
    }, true));
    const attention = graph.nodes.filter(v => ["pending", "bad"].includes(STATUS_SHAPES[v.status]))
      .map(v => KIND_LABELS[v.kind] + " " + v.label + " (" + v.status + ")");
    if (attention.length) {
      lines.push(interpolate(gettext("Needing attention (pending, not ready, unavailable or failed): %(names)s."),
        {names: attention.join(", ")}, true));
    }
    return lines.join(" ");
  }

  async function load(figure, node) {
    const body = figure.querySelector(".topo-body");
    const url = figure.dataset.url + (node ? (figure.dataset.url.includes("?") ? "&" : "?") +
      "node=" + encodeURIComponent(node) : "");
    figure.dataset.state = "loading";
    try {
      const graph = await KCloudCharts.fetchJSON(url);
      if (graph.status !== "ok" || !graph.nodes) {
        const why = graph.error || gettext("the cluster did not answer");
        KCloudCharts.message(body, interpolate(gettext("Topology not available: %(why)s."), {why}, true), "error");
      } else if (!graph.nodes.length) {
        KCloudCharts.message(body, gettext("This cluster reports no nodes."), "info");
      } else {
        const tops = render(body, graph);
        legend(figure.querySelector(".topo-legend"), tops, graph);
      }
    } catch (error) {
      KCloudCharts.message(body, interpolate(gettext("Topology could not be loaded: %(why)s"), {why: error.message}, true), "error");
    }
    figure.dataset.state = "done";
  }

  document.querySelectorAll("figure[data-topology]").forEach(figure => {
    const select = document.querySelector("select[data-topology-node]");
    if (select) select.addEventListener("change", () => load(figure, select.value));
    load(figure, select ? select.value : "");
  });
})();
