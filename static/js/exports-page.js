/* KCloud Monitor: the exports page.
 *
 * <form data-export-form> submits to /exports/download, which redirects to the
 * /api/v1/export/* endpoint the fields describe. Without JavaScript the browser
 * simply follows it. Here we (1) show only the fields and formats of the chosen
 * dataset, (2) fetch the same URL with the session cookie, save the file under
 * the name of the API's Content-Disposition, and show an API error (400 naming
 * the parameter) next to the button instead of leaving the page, and (3) show
 * the equivalent API call for scripts.
 */
(function () {
  "use strict";

  const form = document.querySelector("form[data-export-form]");
  if (!form) return;
  const status = form.querySelector("[data-status]");
  const button = form.querySelector("[data-download]");
  const apiUrl = form.querySelector("[data-api-url]");

  function what() {
    const checked = form.querySelector("input[name=what]:checked");
    return checked ? checked.value : "energy";
  }

  // Show the fieldsets of the chosen dataset; disabled fields are not submitted.
  function sync() {
    const current = what();
    form.querySelectorAll("[data-for]").forEach(el => {
      const on = el.dataset.for.split(" ").includes(current);
      el.hidden = !on;
      el.querySelectorAll("input, select").forEach(input => { input.disabled = !on; });
    });
    const customWindow = form.querySelector("[data-window]").value === "custom";
    form.querySelectorAll("[data-custom-window]").forEach(el => {
      el.hidden = !customWindow;
      el.querySelector("input").disabled = !customWindow || current === "report";
    });
    const customPeriod = form.querySelector("[data-period]").value === "custom";
    form.querySelectorAll("[data-custom-period]").forEach(el => {
      el.hidden = !customPeriod;
      el.querySelector("input").disabled = !customPeriod || current !== "report";
    });
    form.querySelectorAll(".exp-choice").forEach(label => {
      label.classList.toggle("checked", label.querySelector("input").checked);
    });
    apiUrl.textContent = "GET /api/v1/export/" + current + "?…";
  }

  function query() {
    const params = new URLSearchParams();
    new FormData(form).forEach((value, key) => {
      if (value !== "") params.append(key, value);
    });
    return params;
  }

  function filename(response) {
    const header = response.headers.get("Content-Disposition") || "";
    const match = /filename="?([^";]+)"?/.exec(header);
    return match ? match[1] : "kcloud-export";
  }

  function say(text, kind) {
    status.textContent = text;
    status.className = "exp-status" + (kind ? " exp-status-" + kind : "");
  }

  async function download(event) {
    event.preventDefault();
    const url = form.action + "?" + query().toString();
    button.disabled = true;
    say(gettext("Preparing the file…"), "busy");
    try {
      const response = await fetch(url, {credentials: "same-origin"});
      if (!response.ok) {
        let message = "HTTP " + response.status;
        try {
          const body = await response.json();
          if (body && body.error) message = body.error.message;
        } catch (_) { /* not JSON: keep the status */ }
        say(message, "error");
        return;
      }
      const name = filename(response);
      const api = new URL(response.url);
      apiUrl.textContent = "GET " + api.pathname + decodeURIComponent(api.search);
      const blob = await response.blob();
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = name;
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10000);
      const size = (blob.size / 1024).toFixed(1);
      say(interpolate(gettext("Downloaded %(name)s (%(size)s KiB)."), {name, size}, true), "ok");
    } catch (error) {
      say(interpolate(gettext("The download failed: %(why)s"), {why: error.message}, true), "error");
    } finally {
      button.disabled = false;
    }
  }

  form.addEventListener("change", sync);
  form.addEventListener("submit", download);
  sync();
})();
