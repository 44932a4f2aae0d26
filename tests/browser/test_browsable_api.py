"""Every path of the API, opened by staff in a real browser (HTML), and the API docs, offline.

Walks the OpenAPI schema the product serves: each GET path is opened as a
browser opens it (``Accept: text/html``) with example parameters taken from
the live fleet, and the test fails on any 5xx, any JavaScript error, and any
request that leaves the site. The docs page (Swagger UI) is checked
the same way, and "Try it out" is run with the staff session and with a token.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlparse

import pytest

from tests.conftest import CLOSED_URL

pytestmark = [pytest.mark.browser, pytest.mark.prometheus, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

# Required query parameters: a value a user would choose (else the schema's first choice).
REQUIRED_EXAMPLES = {"period": "daily"}
# Paths whose {id} is one of the objects _objects() makes (budgets, alerts, schedules...).
OBJECT_PATHS = {
    "/api/v1/budgets/": "_budget",
    "/api/v1/alerts/rules/": "_rule",
    "/api/v1/alerts/channels/": "_channel",
    "/api/v1/alerts/": "_alert",
    "/api/v1/export/schedules/": "_schedule",
    "/api/v1/export/archive/": "_archive",
}
# Endpoints that answer with a file the browser downloads.
DOWNLOADS = ("/api/v1/export/power", "/api/v1/export/energy", "/api/v1/export/metrics", "/api/v1/export/report")
STATUS_LOG = "Failed to load resource: the server responded with a status"


class Watch:
    """Everything the browser did on the site's behalf that the test must object to."""

    def __init__(self, page, origin: str):
        self.origin = urlparse(origin).netloc
        self.foreign: list[str] = []
        self.errors: list[str] = []
        self.server_errors: list[str] = []
        self.expected: set[str] = set()  # documents whose 5xx the test asked for (a dead cluster)
        page.on("request", self._request)
        page.on("response", self._response)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("console", self._console)

    def _request(self, request) -> None:
        url = urlparse(request.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.netloc != self.origin:
            self.foreign.append(request.url)

    def _response(self, response) -> None:
        if response.status >= 500 and response.url not in self.expected:
            self.server_errors.append(f"{response.status} {response.url}")

    def _console(self, msg) -> None:
        # Chromium logs every non-2xx response; those are judged by status in _response.
        if msg.type == "error" and not msg.text.startswith(STATUS_LOG):
            self.errors.append(f"console: {msg.text}")

    def assert_clean(self, where: str) -> None:
        assert not self.foreign, (where, self.foreign)
        assert not self.server_errors, (where, self.server_errors)
        assert not self.errors, (where, self.errors)


def _json(page, url: str) -> dict:
    response = page.request.get(url, headers={"Accept": "application/json"})
    assert response.ok, (url, response.status, response.text()[:300])
    return response.json()


def _path_examples(page, base: str) -> dict[str, str]:
    """A real value for every path parameter of the schema, read from the API's own lists."""
    first = lambda path: _json(page, f"{base}/api/v1/{path}?page_size=1")["results"][0]  # noqa: E731
    gpu, npu = first("accelerators/gpus"), first("accelerators/npus")
    node, pod = first("infrastructure/nodes"), first("infrastructure/pods")
    container, vm = first("infrastructure/containers"), first("infrastructure/vms")
    return {
        "uuid": gpu["uuid"],
        "id": npu["id"],
        "name": node["name"],
        "node": node["name"],
        "namespace": pod["namespace"],
        "pod": container["pod"],
        "container": container["name"],
        "_pod_name": pod["name"],
        "_container_namespace": container["namespace"],
        "_vm": vm["id"],
        "_cluster": node["cluster"],
    }


def _objects(cluster) -> dict[str, str]:
    """One of each object the alerting and report endpoints read, for their detail paths."""
    from exports.models import ArchivedReport, ReportSchedule
    from kcloud.timeutil import utcnow
    from monitoring.models import Alert, AlertRule, Budget, NotificationChannel

    budget = Budget.objects.create(name="seoul today", scope="cluster", cluster=cluster, limit=10)
    rule = AlertRule.objects.create(name="hot", kind="temperature_above", threshold=85)
    alert = Alert.objects.create(
        rule=rule, subject=f"{cluster.name}/n/GPU-0", cluster=cluster.name, active_since=utcnow()
    )
    channel = NotificationChannel(name="hook", kind="webhook")
    channel.url = "https://hooks.example.com/secret"
    channel.save()
    schedule = ReportSchedule.objects.create(name="weekly", period="weekly")
    now = utcnow()
    archive = ArchivedReport.objects.create(
        schedule=schedule,
        period_start=now,
        period_end=now,
        status="ready",
        filename="kcloud-report-weekly.pdf",
        content_type="application/pdf",
        content=b"%PDF-1.4 stand-in",
    )
    ids = {"_budget": budget, "_rule": rule, "_alert": alert, "_channel": channel, "_schedule": schedule}
    return {key: str(obj.pk) for key, obj in {**ids, "_archive": archive}.items()}


def _url_for(path: str, operation: dict, ex: dict[str, str]) -> str:
    values = dict(ex)
    if path.startswith("/api/v1/clusters/{name}"):
        values["name"] = ex["_cluster"]
    elif path.startswith("/api/v1/infrastructure/pods/{namespace}/{name}"):
        values["name"] = ex["_pod_name"]
    elif path.startswith("/api/v1/infrastructure/containers/"):
        values["namespace"] = ex["_container_namespace"]
    elif path.startswith("/api/v1/infrastructure/vms/{id}"):
        values["id"] = ex["_vm"]
    else:
        for prefix, key in OBJECT_PATHS.items():  # most specific first
            if path.startswith(prefix):
                values["id"] = ex[key]
                break
    url = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)
    query = {}
    for param in operation.get("parameters", []):
        if param["in"] == "query" and param.get("required"):
            schema = param.get("schema", {})
            enum = schema.get("enum") or schema.get("items", {}).get("enum")
            query[param["name"]] = REQUIRED_EXAMPLES.get(param["name"]) or enum[0]
    return url + ("?" + urlencode(query) if query else "")


@pytest.fixture
def schema(logged_in_page, live_server) -> dict:
    return _json(logged_in_page, f"{live_server.url}/api/v1/schema/?format=json")


def test_every_schema_path_renders_in_the_browsable_api(
    logged_in_page, live_server, fleet_clusters, schema, staff_user
):
    from kcloud.auth import roles

    roles.grant(staff_user, roles.ADMIN, all_clusters=True)  # notification channels are the admin's
    page = logged_in_page
    base = live_server.url
    examples = {**_path_examples(page, base), **_objects(fleet_clusters[0])}
    watch = Watch(page, base)
    opened = 0
    for path, operations in schema["paths"].items():
        operation = operations.get("get")
        if operation is None:
            continue
        url = base + _url_for(path, operation, examples)
        if path in DOWNLOADS or path.endswith("/download"):
            _assert_download(page, url, path)
        elif path == "/metrics/fleet":  # for Prometheus: its text format, whatever the browser accepts
            response = page.goto(url)
            assert response.status == 200 and response.headers["content-type"].startswith("text/plain"), path
        else:
            response = page.goto(url)
            assert response.status == 200, (path, url, response.status, page.inner_text("body")[:500])
            assert "text/html" in response.headers["content-type"], path
            _assert_browsable(page, path, operation)
        watch.assert_clean(path)
        opened += 1
    assert opened == sum(1 for ops in schema["paths"].values() if "get" in ops) >= 50


def _assert_download(page, url: str, path: str) -> None:
    """File endpoints answer with the file itself, which the browser downloads under our file name."""
    from playwright.sync_api import Error

    with page.expect_download() as info:
        try:
            page.goto(url)
        except Error as exc:  # navigation becomes a download: expected for a file
            assert "Download is starting" in str(exc), (path, exc)
    download = info.value
    assert download.failure() is None, (path, download.failure())
    assert download.suggested_filename.startswith("kcloud-"), (path, download.suggested_filename)


def _assert_browsable(page, path: str, operation: dict) -> None:
    """The DRF page: the data as JSON, a working JSON link, and a filter form iff the endpoint has filters."""
    shown = page.locator(".response-info pre").inner_text()
    body = shown[shown.index("\n\n") + 2 :] if "\n\n" in shown else shown
    data = json.loads(body)
    json_link = page.locator("a.format-option", has_text="json")
    assert json_link.count() == 1, path
    href = json_link.get_attribute("href")
    answer = page.request.get(urljoin(page.url, href))
    assert answer.status == 200 and answer.headers["content-type"].startswith("application/json"), path
    assert set(answer.json()) == set(data), path
    filters = [
        p["name"] for p in operation.get("parameters", []) if p["in"] == "query" and p["name"] not in ("format", "page")
    ]
    if filters:
        form = page.locator("#filtersModal form[data-kcloud-filters]")
        assert form.count() == 1, path
        names = set(form.locator("[name]").evaluate_all("els => els.map(e => e.name)"))
        assert names == set(filters), (path, names, filters)
    else:
        assert page.locator("#filtersModal").count() == 0, path


def test_filter_form_and_pagination_work(logged_in_page, live_server, fleet_clusters, fleet_prometheus):
    page = logged_in_page
    base = live_server.url
    watch = Watch(page, base)
    cluster = fleet_prometheus.fleet.clusters[0].name
    page.goto(f"{base}/api/v1/accelerators/gpus?page_size=2")
    page.click("button[data-target='#filtersModal']")
    form = page.locator("#filtersModal form[data-kcloud-filters]")
    form.locator("select[name=cluster]").select_option(cluster)
    form.locator("select[name=status]").select_option("active")
    page.wait_for_function("() => getComputedStyle(document.querySelector('#filtersModal')).opacity === '1'")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "browsable-api-filters.png"))
    form.locator("button[type=submit]").click()
    page.wait_for_url("**cluster=**")
    query = parse_qs(urlparse(page.url).query)
    # Only the fields given are sent (an empty field would be an invalid parameter).
    assert query == {"cluster": [cluster], "status": ["active"], "page_size": ["2"]}, query
    shown = page.locator(".response-info pre").inner_text()
    data = json.loads(shown[shown.index("\n\n") + 2 :])
    assert data["results"] and {r["cluster"] for r in data["results"]} == {cluster}
    assert {r["status"] for r in data["results"]} == {"active"}
    # Pagination: the page links of the browsable API lead to the next page.
    page.goto(f"{base}/api/v1/accelerators/gpus?page_size=2")
    shown = page.locator(".response-info pre").inner_text()
    data = json.loads(shown[shown.index("\n\n") + 2 :])
    assert data["next"]
    page.click(".pagination a[aria-label='Next']")
    page.wait_for_url("**page=2**")
    second = page.locator(".response-info pre").inner_text()
    assert json.loads(second[second.index("\n\n") + 2 :])["results"] != data["results"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "browsable-api-gpus.png"), full_page=True)
    watch.assert_clean("filters")


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("/api/v1/accelerators/gpus/GPU-00000000-0000-0000-0000-000000000000", 404, "not_found"),
        ("/api/v1/infrastructure/nodes?page_size=abc", 400, "invalid_parameter"),
        ("/api/v1/monitoring/energy?window=forever", 400, "invalid_parameter"),
        ("/api/v1/infrastructure/nodes/no-such-node?cluster=dead-a", 503, "clusters_unavailable"),
    ],
)
def test_error_answers_render(logged_in_page, live_server, fleet_clusters, make_cluster, url, status, code):
    if "dead-a" in url:
        make_cluster("dead-a", url=CLOSED_URL)
    page = logged_in_page
    watch = Watch(page, live_server.url)
    watch.expected.add(live_server.url + url)
    response = page.goto(live_server.url + url)
    assert response.status == status
    assert "text/html" in response.headers["content-type"]
    shown = page.locator(".response-info pre").inner_text()
    assert json.loads(shown[shown.index("\n\n") + 2 :])["error"]["code"] == code
    watch.assert_clean(url)


def test_swagger_ui_is_served_by_the_site_and_try_it_out_works_with_the_session(logged_in_page, live_server, schema):
    page = logged_in_page
    watch = Watch(page, live_server.url)
    page.goto(f"{live_server.url}/api/v1/docs/")
    page.wait_for_selector(".opblock", timeout=20_000)
    operations = sum(len(ops) for ops in schema["paths"].values())
    assert page.locator(".opblock").count() == operations
    _try_it_out(page, "/api/v1/system/version", expect_status="200")
    _try_it_out(page, "/api/v1/clusters", expect_status="200")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "api-docs-swagger.png"))
    watch.assert_clean("docs")


def test_swagger_ui_try_it_out_with_a_token(browser, live_server, staff_user, fleet_clusters):
    from kcloud.auth.models import ApiToken

    _token, key = ApiToken.issue(staff_user, name="docs")
    context = browser.new_context(viewport={"width": 1360, "height": 860})
    page = context.new_page()
    try:
        watch = Watch(page, live_server.url)
        page.goto(f"{live_server.url}/api/v1/docs/")
        page.wait_for_selector(".opblock", timeout=20_000)
        # Not logged in: the data endpoints refuse until the token is given.
        _try_it_out(page, "/api/v1/clusters", expect_status="401")
        page.click("button.authorize")
        dialog = page.locator(".dialog-ux")
        scheme = dialog.locator(".auth-container:has-text('tokenAuth')")
        scheme.locator("input").fill(f"Token {key}")
        scheme.locator("button.authorize").click()
        # Swagger UI keeps the key only once it shows the scheme as authorized (a Logout button).
        scheme.locator("button:has-text('Logout')").wait_for(timeout=10_000)
        dialog.locator("button.btn-done").first.click()
        _try_it_out(page, "/api/v1/clusters", expect_status="200", reopen=False)
        watch.assert_clean("docs with token")
    finally:
        context.close()


def _try_it_out(page, path: str, *, expect_status: str, reopen: bool = True) -> None:
    block = page.locator(f".opblock-get:has(.opblock-summary-path[data-path='{path}'])").first
    if reopen or not block.locator(".opblock-body").count():
        if not block.locator(".opblock-body").count():
            block.locator(".opblock-summary").click()
        try_button = block.locator("button.try-out__btn")
        if try_button.inner_text().strip().lower().startswith("try"):
            try_button.click()
    block.locator("button.execute").click()
    status = block.locator(".live-responses-table .response .response-col_status").first
    status.wait_for(timeout=20_000)
    assert status.inner_text().split()[0] == expect_status, (path, block.locator(".live-responses-table").inner_text())
