/* KCloud Monitor: the live pages' stream client — WebSocket first, server-sent events as the fallback.
 *
 * KCloudLive.open({wsPath, ssePath, onMessage(message), onState(state, detail)}) → {close()}
 *
 * States: "connecting" | "live-ws" | "live-sse" | "reconnecting" (detail: seconds until the retry)
 *         | "error" (detail: why; permanent: bad parameters, not logged in, unknown cluster).
 *
 * The WebSocket authenticates with the session cookie. When it cannot be used — the
 * handshake fails, or the connection closes before the first message (a proxy that
 * drops upgrades) — the client switches to EventSource on ssePath for good. A stream
 * that was live and breaks is retried with exponential backoff (1 s → 30 s, jittered),
 * on the same transport. Messages already seen (same or older seq, e.g. the latest
 * snapshot replayed on a reconnect) are not passed on twice.
 *
 * KCloudLive.showState(element, state, detail) renders a state into a
 * <span class="live-state"><i class="live-dot"></i><span class="live-state-text"></span></span>
 * (static/css/live.css colours it by data-live-state).
 * KCloudLive.format(value, digits) → "1,234.5" or "—" (a missing value is never 0).
 *
 * KCloudLive.age(bar, staleAfterSeconds) → {seen(isoTimestamp)}: shows, in a
 * <span data-live-age> of the bar (added when missing), how old the last value is,
 * every second — a stream can be "live" and still bring nothing new (a cluster that
 * stopped answering) — and marks it stale (data-stale="true", a word, not only a colour)
 * once older than staleAfterSeconds.
 */
(function () {
  "use strict";

  const PERMANENT = {4400: gettext("invalid parameters"), 4401: gettext("not logged in"), 4404: gettext("unknown cluster")};
  const BACKOFF_MIN_MS = 1000;
  const BACKOFF_MAX_MS = 30000;

  function wsUrl(path) {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
  }

  function open(options) {
    const onMessage = options.onMessage || function () {};
    const onState = options.onState || function () {};
    let transport = "WebSocket" in window && options.wsPath ? "ws" : "sse";
    let socket = null;
    let source = null;
    let timer = null;
    let attempt = 0;
    let lastSeq = null;
    let closed = false;
    let lastError = null;  // the server's {"type": "error"} sent before a refusal

    function deliver(text) {
      let message;
      try { message = JSON.parse(text); } catch (e) { return; }
      if (typeof message.seq === "number" && message.type !== "threshold_exceeded") {
        if (lastSeq !== null && message.seq <= lastSeq) return;
        lastSeq = message.seq;
      }
      attempt = 0;  // data flows: the next break starts the backoff afresh
      onMessage(message);
    }

    function retry() {
      if (closed) return;
      const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * Math.pow(2, attempt));
      const jittered = Math.round(delay * (0.8 + 0.4 * Math.random()));
      attempt += 1;
      onState("reconnecting", Math.ceil(jittered / 1000));
      timer = setTimeout(connect, jittered);
    }

    function connectWs() {
      let received = false;
      lastError = null;
      socket = new WebSocket(wsUrl(options.wsPath));
      socket.onopen = () => onState("live-ws");
      socket.onmessage = event => {
        received = true;
        let parsed = null;
        try { parsed = JSON.parse(event.data); } catch (e) { parsed = null; }
        if (parsed && parsed.type === "error" && !parsed.cluster && parsed.code) lastError = parsed;
        deliver(event.data);
      };
      socket.onclose = event => {
        socket = null;
        if (closed) return;
        if (PERMANENT[event.code]) {
          closed = true;
          onState("error", (lastError && lastError.message) || PERMANENT[event.code]);
          return;
        }
        if (!received) {
          transport = "sse";  // WebSockets do not get through here: server-sent events from now on
          connect();
          return;
        }
        retry();
      };
    }

    function connectSse() {
      source = new EventSource(options.ssePath, {withCredentials: true});
      source.onopen = () => onState("live-sse");
      source.onmessage = event => deliver(event.data);
      source.addEventListener("dropped", () => { source.close(); source = null; retry(); });
      source.onerror = () => {
        if (closed || source === null) return;
        if (source.readyState === EventSource.CLOSED) {
          // The server refused (HTTP error) or went away for good: our own backoff.
          source = null;
          retry();
        } else {
          onState("reconnecting", 3);  // EventSource retries by itself (the server's retry: 3000)
        }
      };
    }

    function connect() {
      timer = null;
      if (closed) return;
      onState("connecting", transport);
      if (transport === "ws") connectWs(); else connectSse();
    }

    connect();
    return {
      close() {
        closed = true;
        if (timer) clearTimeout(timer);
        if (socket) socket.close(1000);
        if (source) source.close();
      },
      get transport() { return transport; },
    };
  }

  const STATE_TEXT = {
    "connecting": gettext("Connecting…"),
    "live-ws": gettext("Live via WebSocket"),
    "live-sse": gettext("Live via SSE (server-sent events)"),
    "reconnecting": gettext("Reconnecting"),
    "error": gettext("Error"),
  };

  function showState(element, state, detail) {
    element.dataset.liveState = state;
    let text = STATE_TEXT[state] || state;
    if (state === "reconnecting" && detail) text = interpolate(gettext("Reconnecting in %(seconds)s s…"), {seconds: detail}, true);
    if (state === "connecting" && detail === "sse") text = gettext("Connecting (server-sent events)…");
    if (state === "error") text += ": " + (detail || gettext("the stream stopped"));
    element.querySelector(".live-state-text").textContent = text;
  }

  function format(value, digits) {
    if (value == null || !isFinite(value)) return "—";
    return value.toLocaleString("en-US", {minimumFractionDigits: digits || 0, maximumFractionDigits: digits || 0});
  }

  function ageText(seconds) {
    if (seconds < 60) return interpolate(gettext("%(n)s s"), {n: seconds}, true);
    if (seconds < 3600) return interpolate(gettext("%(n)s min"), {n: Math.floor(seconds / 60)}, true);
    return interpolate(gettext("%(n)s h"), {n: Math.floor(seconds / 3600)}, true);
  }

  function age(bar, staleAfterSeconds) {
    let element = bar.querySelector("[data-live-age]");
    if (!element) {
      element = document.createElement("span");
      element.className = "live-age small";
      element.dataset.liveAge = "";
      const state = bar.querySelector(".live-state");
      if (state) state.after(element); else bar.prepend(element);
    }
    element.textContent = gettext("No value yet");
    let at = null;
    function tick() {
      if (at === null) return;
      const seconds = Math.max(0, Math.round((Date.now() - at) / 1000));
      const stale = seconds > staleAfterSeconds;
      const text = interpolate(gettext("Last value %(age)s old"), {age: ageText(seconds)}, true);
      element.textContent = stale ? text + " · " + gettext("stale") : text;
      element.dataset.ageSeconds = String(seconds);
      element.dataset.stale = String(stale);
    }
    setInterval(tick, 1000);
    return {seen(timestamp) {
      const parsed = Date.parse(timestamp);
      if (!isNaN(parsed)) { at = parsed; tick(); }
    }};
  }

  // The GPU and node pages' wiring of a gpus stream: the state badge, a failing
  // cluster named in the status line, and each reading counted in data-updates
  // (the browser tests wait on it). onGpus(gpus, message) returns the status line.
  function openGpus(bar, onGpus) {
    const state = bar.querySelector(".live-state");
    const last = bar.querySelector(".live-last");
    // Readings every data-interval seconds (5 on these pages); three missed ones make the value stale.
    const clock = age(bar, 3 * Number(bar.dataset.interval || 5));
    return open({
      wsPath: bar.dataset.wsPath,
      ssePath: bar.dataset.ssePath,
      onState: (s, detail) => showState(state, s, detail),
      onMessage: message => {
        if (message.type === "error" && message.cluster) {
          last.textContent = interpolate(gettext("%(cluster)s is not answering: %(error)s"),
            {cluster: message.cluster, error: message.message}, true);
          return;
        }
        if (message.type !== "gpus") return;
        const line = onGpus(message.gpus || [], message);
        if (line === null) return;
        bar.dataset.updates = String(Number(bar.dataset.updates || 0) + 1);
        clock.seen(message.timestamp);
        last.textContent = line;
      },
    });
  }

  window.KCloudLive = {open, openGpus, showState, format, age};
})();
