"""History for the simulated fleet: OpenMetrics files → ``promtool`` → TSDB blocks.

For every scrape step and every target we take what a real scrape would have
read (`Fleet.render`) and store exactly what a real scrape would have stored:

* the target labels the cluster's scrape profile gives the target (``job``,
  ``instance``, maybe ``namespace/pod/node/...``; see `demo.profiles`), plus
  ``cluster`` for the global querier, added to every sample; with
  ``honor_labels: false`` an exposed label of the same name is kept as
  ``exported_<name>``, with ``honor_labels: true`` the exposed value wins
  (Prometheus' ``mutateSampleLabels``);
* one stored series per scrape of the target (two for HA replicas);
* empty-valued labels dropped (an empty label is an absent label);
* ``up`` = 1 for a rendered target, 0 when it was down.

Every metric name becomes its own OpenMetrics family declared ``gauge``: the
TSDB stores no types, and declaring counters would make the OpenMetrics parser
fiddle with ``_total`` suffixes, whereas we want the exporters' names stored
byte for byte (``DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION``,
``kepler_node_cpu_joules_total``, ``RBLN_DEVICE_STATUS:CARD_POWER``).

Not reproduced: the ``scrape_*`` meta series and staleness markers (a series
that vanishes stays visible for the 5 min lookback, where a live scrape would
end it at once) — OpenMetrics cannot express a stale marker.

Work is split into (cluster, time chunk) units: chunks follow promtool's block
windows, are small enough to bound memory, and run in forked worker processes.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from demo.harness import PROMTOOL_BINARY
from demo.profiles import Scrape, scrapes_of

if TYPE_CHECKING:
    from demo.fleet import Fleet

# promtool writes one block per window of this length (aligned to the Unix
# epoch): 18 h is the largest of Prometheus' compatible ranges (2 h x 3^n) that
# 2.42's hidden ``--max-block-duration`` flag accepts below a day. Fewer,
# larger blocks: promtool is dominated by per-block cost, and Prometheus
# starts faster on fewer blocks.
BLOCK_SECONDS = 18 * 3600
DEFAULT_MAX_SAMPLES_PER_FILE = 3_000_000  # ~0.3 GB of strings in a worker at most
DEFAULT_MAX_SAMPLE_PASSES = 6_000_000  # samples x block windows promtool re-reads per file

_LABEL_RE = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?')


class BackfillError(RuntimeError):
    """promtool rejected a generated file, or rendering failed."""


@dataclass(frozen=True)
class Destination:
    """One Prometheus data directory and the simulated clusters it holds.

    ``cluster_label=True`` adds ``cluster="<name>"`` to every series, the way
    the global querier tells its clusters apart.
    """

    data_dir: Path
    clusters: tuple[str, ...]
    cluster_label: bool = False


@dataclass
class BackfillStats:
    """What one `backfill` call did, for logs and the benchmark table."""

    units: int = 0
    steps: int = 0
    samples: int = 0
    files: int = 0
    bytes_written: int = 0
    render_seconds: float = 0.0
    promtool_seconds: float = 0.0
    wall_seconds: float = 0.0
    workers: int = 1
    start: float = 0.0
    end: float = 0.0
    cached: bool = False  # blocks copied from the cache (see `cached_backfill`)

    def add(self, other: dict[str, Any]) -> None:
        for key in ("units", "steps", "samples", "files", "bytes_written", "render_seconds", "promtool_seconds"):
            setattr(self, key, getattr(self, key) + other[key])


# -- label arithmetic (what a scrape stores) -----------------------------------


def parse_labels(body: str) -> list[tuple[str, str]]:
    """``a="1",b="x\\"y"`` → ``[("a", "1"), ("b", 'x\\"y')]``; values stay escaped."""
    return _LABEL_RE.findall(body)


def stored_labels(
    name: str, exposed: Sequence[tuple[str, str]], target: Sequence[tuple[str, str]], honor_labels: bool
) -> list[tuple[str, str]]:
    """Labels of the stored series for one exposed sample, sorted by name.

    Mirrors Prometheus 2.42 ``mutateSampleLabels``: with ``honor_labels`` an
    exposed label (even empty) wins over the target's; otherwise the target's
    wins and a non-empty exposed value moves to ``exported_<name>`` (prefixing
    ``exported_`` again while that name is taken). Empty values are dropped.
    """
    labels = dict(exposed)
    if honor_labels:
        for key, value in target:
            labels.setdefault(key, value)
    else:
        conflicts = []
        for key, value in target:
            if labels.get(key, ""):
                conflicts.append((key, labels[key]))
            labels[key] = value
        taken = set(labels) | {k for k, _ in target}
        for key, value in conflicts:
            new = "exported_" + key
            while new in taken:
                new = "exported_" + new
            labels[new] = value
            taken.add(new)
    labels.pop("__name__", None)
    return sorted((k, v) for k, v in labels.items() if v != "")


def series_key(name: str, labels: Iterable[tuple[str, str]]) -> str:
    """OpenMetrics series text, e.g. ``up{instance="n1:9400",job="dcgm-exporter"}``."""
    body = ",".join(f'{k}="{v}"' for k, v in labels)
    return f"{name}{{{body}}}" if body else name


def _split_prefix(prefix: str) -> tuple[str, str]:
    brace = prefix.find("{")
    if brace < 0:
        return prefix.strip(), ""
    return prefix[:brace].strip(), prefix[brace + 1 : -1]


def _format_ts(t: float) -> str:
    return str(int(t)) if float(t).is_integer() else f"{t:.3f}"


# -- one (cluster, chunk) unit -------------------------------------------------


def _target_labels(scrape: Scrape, cluster_label: str | None) -> list[tuple[str, str]]:
    labels = list(scrape.labels)
    if cluster_label is not None:
        labels.append(("cluster", cluster_label))
    return labels


def render_unit(
    fleet: Fleet,
    cluster: str,
    times: Sequence[float],
    outputs: Sequence[tuple[Path, bool]],
) -> dict[str, Any]:
    """Render `cluster` at `times` and write one OpenMetrics file per output.

    `outputs` are ``(file, with_cluster_label)``. Returns counters for
    `BackfillStats`. Series are accumulated per family in first-seen order so
    that every family's series, and every series' samples, come out contiguous
    and in time order, as OpenMetrics (and promtool) require. Each exposed
    series is stored once per scrape of its target (`demo.profiles.Scrape`).
    """
    began = time.perf_counter()
    targets = fleet.targets(cluster)
    variants = [cluster if with_label else None for _, with_label in outputs]
    # Per target, per scrape: (honor_labels, target labels per output).
    scrapes = [
        [(s.honor_labels, [_target_labels(s, v) for v in variants]) for s in scrapes_of(fleet, t)] for t in targets
    ]
    # family name -> {tuple of series keys (one per output): ["value ts", ...]}
    families: dict[str, dict[tuple[str, ...], list[str]]] = {}
    caches: list[dict[str, list[list[str]]]] = [{} for _ in targets]

    def series_lists(i: int, name: str, exposed: Sequence[tuple[str, str]]) -> list[list[str]]:
        family = families.setdefault(name, {})
        lists = []
        for honor, per_output in scrapes[i]:
            keys = tuple(series_key(name, stored_labels(name, exposed, labels, honor)) for labels in per_output)
            lists.append(family.setdefault(keys, []))
        return lists

    up_lists = [series_lists(i, "up", ()) for i in range(len(targets))]
    samples = 0
    for t in times:
        ts = " " + _format_ts(t)
        for i, target in enumerate(targets):
            text = fleet.render(target, t)
            up = ("1" if text is not None else "0") + ts
            for lst in up_lists[i]:
                lst.append(up)
            if text is None:
                continue
            cache = caches[i]
            for line in text.split("\n"):
                if not line or line[0] == "#":
                    continue
                # The last '}' closes the label set: a value or timestamp never
                # contains one, a label value may.
                end = line.rfind("}")
                if end < 0:
                    end = line.find(" ")
                    prefix, rest = line[:end], line[end:]
                else:
                    prefix, rest = line[: end + 1], line[end + 1 :]
                lists = cache.get(prefix)
                if lists is None:
                    name, body = _split_prefix(prefix)
                    lists = cache[prefix] = series_lists(i, name, parse_labels(body))
                sample = rest.split(None, 1)[0] + ts
                for lst in lists:
                    # A series exposed (or stored) twice in one scrape: Prometheus keeps the first.
                    if lst and lst[-1].endswith(ts):
                        continue
                    lst.append(sample)
                    samples += 1
    render_seconds = time.perf_counter() - began
    written = 0
    for index, (path, _) in enumerate(outputs):
        with open(path, "w", buffering=1 << 20) as out:
            for name, series in families.items():
                out.write(f"# TYPE {name} gauge\n")
                for keys, values in series.items():
                    key = keys[index] + " "
                    out.write("".join(key + v + "\n" for v in values))
            out.write("# EOF\n")
        written += path.stat().st_size
    return {
        "units": 1,
        "steps": len(times),
        "samples": samples + len(times) * sum(map(len, up_lists)),
        "files": len(outputs),
        "bytes_written": written,
        "render_seconds": render_seconds,
        "promtool_seconds": 0.0,
    }


def _promtool_argv(openmetrics: Path, data_dir: Path, promtool: str) -> list[str]:
    return [
        promtool,
        "tsdb",
        "create-blocks-from",
        "openmetrics",
        "--quiet",
        f"--max-block-duration={BLOCK_SECONDS}s",
        str(openmetrics),
        str(data_dir),
    ]


def create_blocks(openmetrics: Path, data_dir: Path, promtool: str = PROMTOOL_BINARY) -> float:
    """Run ``promtool tsdb create-blocks-from openmetrics``; return its wall time."""
    began = time.perf_counter()
    proc = subprocess.run(_promtool_argv(openmetrics, data_dir, promtool), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BackfillError(f"promtool failed on {openmetrics} ({proc.returncode}): {proc.stderr[-2000:]}")
    return time.perf_counter() - began


class _PromtoolQueue:
    """promtool runs on finished files in the background while Python renders the next ones.

    At most `parallel` run at once; `submit` blocks beyond that, which is the
    back-pressure that bounds how many rendered files wait on disk. Each file
    is deleted once promtool is done with it.
    """

    def __init__(self, promtool: str, parallel: int) -> None:
        self.promtool = promtool
        self.parallel = max(1, parallel)
        self.running: list[tuple[subprocess.Popen[bytes], Path, float]] = []
        self.seconds = 0.0

    def submit(self, openmetrics: Path, data_dir: Path) -> None:
        while len(self.running) >= self.parallel:
            self._reap_oldest()
        with open(openmetrics.with_suffix(".err"), "wb") as err:
            proc = subprocess.Popen(
                _promtool_argv(openmetrics, data_dir, self.promtool), stdout=subprocess.DEVNULL, stderr=err
            )
        self.running.append((proc, openmetrics, time.perf_counter()))

    def _reap_oldest(self) -> None:
        proc, path, began = self.running.pop(0)
        code = proc.wait()
        self.seconds += time.perf_counter() - began
        err_path = path.with_suffix(".err")
        message = err_path.read_text(errors="replace")[-2000:] if code else ""
        path.unlink(missing_ok=True)
        err_path.unlink(missing_ok=True)
        if code:
            raise BackfillError(f"promtool failed on {path.name} ({code}): {message}")

    def finish(self) -> float:
        """Wait for every run; the summed promtool wall time."""
        while self.running:
            self._reap_oldest()
        return self.seconds

    def abort(self) -> None:
        for proc, _, _ in self.running:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.running.clear()


# -- worker plumbing -------------------------------------------------------------

# Set in the parent just before the pool forks, so workers inherit the fleet
# without pickling it (a fleet need not be picklable).
_worker_fleet: Fleet | None = None


def _render_files(
    fleet: Fleet | None, cluster: str, times: Sequence[float], outputs: Sequence[tuple[Path, bool]]
) -> dict[str, Any]:
    """Worker entry point: render one unit's files (promtool runs in the parent)."""
    fleet = fleet if fleet is not None else _worker_fleet
    assert fleet is not None
    return render_unit(fleet, cluster, times, outputs)


def aligned_times(start: float, end: float, step: float) -> list[float]:
    """Multiples of `step` in ``[start, end]`` (scrape-aligned, reproducible)."""
    first = math.ceil(start / step) * step
    count = math.floor((end - first) / step + 1e-9) + 1
    return [first + k * step for k in range(max(count, 0))]


def plan_chunks(
    times: Sequence[float], per_step: int, max_samples: int, max_passes: int = DEFAULT_MAX_SAMPLE_PASSES
) -> list[list[float]]:
    """Group `times` into chunks for one promtool call each.

    promtool reads its whole input once per block window it writes, so a chunk
    spanning n block windows costs n passes: small fleets put many windows in
    one file (fewer promtool start-ups), large fleets split a window into
    pieces of at most `max_samples` (bounded memory).
    """
    windows: dict[int, list[float]] = {}
    for t in times:
        windows.setdefault(int(t // BLOCK_SECONDS), []).append(t)
    per_step = max(per_step, 1)
    steps_per_piece = max(1, max_samples // per_step)
    chunks: list[list[float]] = []
    current: list[float] = []
    current_windows = 0
    for window in windows.values():
        if len(window) > steps_per_piece:
            pieces = math.ceil(len(window) / steps_per_piece)
            size = math.ceil(len(window) / pieces)
            chunks.extend(window[i : i + size] for i in range(0, len(window), size))
            continue
        grown = (len(current) + len(window)) * per_step
        if current and (grown > max_samples or grown * (current_windows + 1) > max_passes):
            chunks.append(current)
            current, current_windows = [], 0
        current = current + window
        current_windows += 1
    if current:
        chunks.append(current)
    return sorted(chunks, key=lambda c: c[0])


def _samples_per_step(fleet: Fleet, cluster: str, t: float) -> int:
    total = 0
    for target in fleet.targets(cluster):
        copies = len(scrapes_of(fleet, target))  # HA replicas store everything again
        text = fleet.render(target, t)
        if text:
            total += copies * sum(1 for line in text.split("\n") if line and line[0] != "#")
        total += copies
    return total


def backfill(
    fleet: Fleet,
    destinations: Sequence[Destination],
    start: float,
    end: float,
    *,
    step: float | None = None,
    workdir: str | os.PathLike[str] | None = None,
    workers: int | None = None,
    max_samples_per_file: int = DEFAULT_MAX_SAMPLES_PER_FILE,
    promtool: str = PROMTOOL_BINARY,
) -> BackfillStats:
    """Write the fleet's history between `start` and `end` into the destinations' data dirs.

    Samples are at multiples of each cluster's scrape interval (or `step`)
    within ``[start, end]``. Rendering is shared: a cluster held by two
    destinations (its own Prometheus and the global querier) is rendered once.
    `workers` > 1 renders units in parallel processes (forked, so they inherit
    the fleet); ``None`` means one per CPU when there is more than one unit.
    """
    began = time.perf_counter()
    stats = BackfillStats(start=start, end=end)
    by_name = {c.name: c for c in fleet.clusters}
    tmp = Path(tempfile.mkdtemp(prefix="backfill-", dir=workdir))
    units: list[tuple[str, list[float], list[tuple[Path, bool, Path]]]] = []
    for cluster in by_name:
        dests = [d for d in destinations if cluster in d.clusters]
        if not dests:
            continue
        times = aligned_times(start, end, step or by_name[cluster].scrape_interval_seconds)
        if not times:
            continue
        per_step = _samples_per_step(fleet, cluster, times[-1])
        for n, chunk in enumerate(plan_chunks(times, per_step, max_samples_per_file)):
            jobs = [(tmp / f"{cluster}-{n:04d}-{k}.om", d.cluster_label, Path(d.data_dir)) for k, d in enumerate(dests)]
            units.append((cluster, chunk, jobs))
    if workers is None:
        workers = min(os.cpu_count() or 1, len(units))
    stats.workers = max(1, workers)
    # Two promtools keep up with the renderers on two cores: Go parses while Python renders.
    queue = _PromtoolQueue(promtool, parallel=max(1, min(2, os.cpu_count() or 1)))

    def hand_over(unit: tuple[str, list[float], list[tuple[Path, bool, Path]]], result: dict[str, Any]) -> None:
        stats.add(result)
        for path, _, data_dir in unit[2]:
            queue.submit(path, data_dir)

    try:
        if stats.workers == 1:
            for unit in units:
                hand_over(unit, _render_files(fleet, unit[0], unit[1], [(p, w) for p, w, _ in unit[2]]))
        else:
            _render_in_pool(fleet, units, stats.workers, hand_over)
        queue.finish()
    except BaseException:
        queue.abort()
        raise
    finally:
        for leftover in tmp.glob("*"):
            leftover.unlink(missing_ok=True)
        tmp.rmdir()
    stats.promtool_seconds = queue.seconds
    stats.wall_seconds = time.perf_counter() - began
    return stats


def _render_in_pool(fleet: Fleet, units: list, workers: int, hand_over: Any) -> None:
    """Render units in forked workers, at most `workers` in flight (bounded disk use).

    fork, not spawn: spawn re-imports the caller's ``__main__`` (breaking
    scripts without a main guard) and would have to pickle the fleet. Callers
    start their own threads (the live server) only after the backfill.
    """
    global _worker_fleet
    _worker_fleet = fleet
    # Biggest units first keeps every worker busy until the end.
    pending = sorted(units, key=lambda u: -len(u[1]) * len(u[2]))
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            inflight: dict[Any, Any] = {}
            while pending or inflight:
                while pending and len(inflight) < workers:
                    unit = pending.pop(0)
                    outputs = [(p, w) for p, w, _ in unit[2]]
                    inflight[pool.submit(_render_files, None, unit[0], unit[1], outputs)] = unit
                done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                for future in done:
                    hand_over(inflight.pop(future), future.result())
    finally:
        _worker_fleet = None


def openmetrics_text(fleet: Fleet, cluster: str, times: Sequence[float], *, cluster_label: bool = False) -> str:
    """The OpenMetrics file `backfill` would feed promtool (for tests and inspection)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "out.om"
        render_unit(fleet, cluster, times, [(path, cluster_label)])
        return path.read_text()
