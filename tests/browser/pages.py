"""Every staff page of the product, on the test fleet: the list the page-wide browser tests walk.

One list so that the language, accessibility and layout tests cannot drift apart: a page
added to the product is added here and is then checked in every language, for the audit
and at every width.
"""

from __future__ import annotations

# Every element whose data-state says it is still loading has finished (charts, live tiles).
SETTLED = "() => [...document.querySelectorAll('[data-state]')].every(e => e.dataset.state !== 'loading')"


def _live(fleet, pool):
    return next(d for d in pool.values() if (d.cluster, d.node) != fleet.stopped)


def pages(fleet_prometheus) -> list[str]:
    """The path of every page a signed-in staff user can open, with real names from the fleet."""
    fleet = fleet_prometheus.fleet
    node = fleet.clusters[0].nodes[0].name
    gpu, npu = _live(fleet, fleet.gpus), _live(fleet, fleet.npus)
    cluster, namespace, pod = next(key for key, p in fleet.pods.items() if p.running)
    return [
        "/",
        "/clusters/",
        f"/clusters/{fleet.clusters[0].name}/",
        "/clusters/compare/",
        "/accelerators/",
        "/accelerators/gpus/",
        f"/accelerators/gpus/{gpu.uuid}/",
        "/accelerators/npus/",
        f"/accelerators/npus/{npu.id}/",
        "/infrastructure/",
        f"/infrastructure/nodes/{node}/",
        "/infrastructure/pods/",
        f"/infrastructure/pods/{namespace}/{pod}/?cluster={cluster}",
        "/infrastructure/vms/",
        "/hardware/",
        "/monitoring/",
        "/monitoring/breakdown/",
        "/monitoring/energy/",
        "/monitoring/live/",
        "/monitoring/alerts/",
        "/exports/",
        "/system/",
    ]


def shot_name(prefix: str, path: str) -> str:
    """``ko-clusters-seoul-a.png`` for ``/clusters/seoul-a/``: one file name per page and variant."""
    path = path.split("?")[0].rstrip("/")
    return f"{prefix}{path.replace('/', '-') or '-overview'}.png"


# Generous: a cold 30-day chart on a loaded CI machine takes seconds, and a page that never
# settles still fails, naming what kept loading.
SETTLE_MS = 45_000
_LOADING = "() => [...document.querySelectorAll('[data-state=loading]')].map(e => e.outerHTML.slice(0, 160))"


def settle(page, what: str) -> None:
    """Wait until every ``data-state`` element of ``page`` finished; fail naming ``what`` and the laggards."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(SETTLED, timeout=SETTLE_MS)
    except PlaywrightTimeout:
        raise AssertionError(f"{what} still loading after {SETTLE_MS} ms: {page.evaluate(_LOADING)}") from None
