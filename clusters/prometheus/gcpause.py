"""Pause Python's cyclic garbage collector while big Prometheus answers are parsed and merged.

Parsing a large answer allocates hundreds of thousands of small dicts and
objects; each allocation burst triggers collections that walk the whole heap
(the full ones grow with the process), which measured as a large part of a
cold list request on the 8,000-GPU fleet. These objects are freed by
reference counting; none form cycles worth collecting mid-request. Fan-out
runs several parses at once, so pauses nest: the collector is re-enabled (if
it was enabled) when the last one ends, and a collection of the youngest
generation runs then.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic GC for the duration (nestable, thread-safe)."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
                gc.collect(0)
