"""A disk cache of backfilled TSDB blocks: identical history is written once.

Test sessions re-run within the hour rebuild exactly the same history (same
fleet, same scrape-aligned range); copying a few tens of MB of blocks
replaces a backfill of tens of seconds.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from demo.backfill import BLOCK_SECONDS, BackfillStats, Destination, backfill

if TYPE_CHECKING:
    from demo.fleet import Fleet


def _profile_names(fleet: Fleet) -> dict[str, str] | None:
    """Each cluster's scrape profile: the same fleet stored another way is other blocks."""
    profiles = getattr(fleet, "profiles", None)
    return None if profiles is None else {cluster: p.name for cluster, p in sorted(profiles.items())}


def _fleet_identity(fleet: Fleet) -> dict[str, Any]:
    """Everything the rendered history depends on: parameters, scrape profiles and the simulator's source."""
    module = sys.modules.get(type(fleet).__module__)
    source = hashlib.sha256()
    if module is not None and getattr(module, "__file__", None):
        for path in sorted(Path(module.__file__).parent.rglob("*.py")):
            source.update(path.name.encode() + path.read_bytes())
    return {
        "type": f"{type(fleet).__module__}.{type(fleet).__qualname__}",
        "seed": getattr(fleet, "seed", None),
        "size": repr(getattr(fleet, "size", None)),
        "epoch": getattr(fleet, "epoch", None),
        "stopped": repr(getattr(fleet, "stopped", None)),
        "stopped_at": getattr(fleet, "stopped_at", None),
        "profiles": _profile_names(fleet),
        "source": source.hexdigest(),
    }


def cached_backfill(
    fleet: Fleet,
    destinations: Sequence[Destination],
    start: float,
    end: float,
    cache_dir: str | os.PathLike[str],
    *,
    keep_entries: int = 4,
    **kwargs: Any,
) -> BackfillStats:
    """`backfill`, but blocks for an identical (fleet, range, layout) are copied from `cache_dir`.

    Test sessions re-run within the hour rebuild the same history; copying
    ~tens of MB of blocks replaces a backfill of tens of seconds. The key
    covers the fleet's parameters, scrape profiles and simulator source, the
    time range and the destinations' layout, so any change misses the cache.
    The newest `keep_entries` entries are kept.
    """
    cache_root = Path(cache_dir)
    layout = [(list(d.clusters), d.cluster_label) for d in destinations]
    identity = {"v": 1, "fleet": _fleet_identity(fleet), "start": start, "end": end, "layout": layout}
    identity["block_seconds"] = BLOCK_SECONDS
    key = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:20]
    entry = cache_root / key
    if (entry / "complete").exists():
        began = time.perf_counter()
        for index, dest in enumerate(destinations):
            for block in (entry / str(index)).iterdir():
                shutil.copytree(block, Path(dest.data_dir) / block.name)
        os.utime(entry)  # most recently used
        return BackfillStats(start=start, end=end, wall_seconds=time.perf_counter() - began, cached=True)
    stats = backfill(fleet, destinations, start, end, **kwargs)
    cache_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{key}-", dir=cache_root))
    try:
        for index, dest in enumerate(destinations):
            shutil.copytree(dest.data_dir, staging / str(index))
        (staging / "identity.json").write_text(json.dumps(identity, indent=2, default=str))
        (staging / "complete").touch()
        staging.rename(entry)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)  # a concurrent session won the race, or no space
    entries = sorted((p for p in cache_root.iterdir() if (p / "complete").exists()), key=lambda p: p.stat().st_mtime)
    for old in entries[:-keep_entries]:
        shutil.rmtree(old, ignore_errors=True)
    return stats
