"""What could not be placed: counted per source, with one example, and said in the answer.

A service places series through a :class:`Tally`; an answer carries its
:func:`warnings` next to ``clusters`` instead of folding unplaced power into
another row. Operators get the same counts per rule from the diagnostics
(``manage.py check_clusters --placement``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from clusters.placement.model import Where

# Labels that say nothing about where a series is: left out of examples.
_NOISE = frozenset({"kcloud_part", "__name__"})
DOCS = "docs/SCRAPE-SETUPS.md"


@dataclass
class Tally:
    """Placed series per (source, rule) and unplaced ones per source, with an example each."""

    placed: dict[tuple[str, str], int] = field(default_factory=dict)
    unplaced: dict[str, int] = field(default_factory=dict)
    examples: dict[str, dict[str, str]] = field(default_factory=dict)

    def count(self, source: str, where: Where, labels: Mapping[str, str]) -> str | None:
        """Record how a series of ``source`` was placed; return its node (None: unplaced)."""
        if where.node is None:
            self.unplaced[source] = self.unplaced.get(source, 0) + 1
            self.examples.setdefault(source, {k: v for k, v in labels.items() if k not in _NOISE})
        else:
            key = (source, where.rule or "")
            self.placed[key] = self.placed.get(key, 0) + 1
        return where.node

    def merge(self, other: Tally) -> None:
        for key, n in other.placed.items():
            self.placed[key] = self.placed.get(key, 0) + n
        for source, n in other.unplaced.items():
            self.unplaced[source] = self.unplaced.get(source, 0) + n
            self.examples.setdefault(source, other.examples[source])


def warnings(cluster: str, tally: Tally | None) -> list[dict]:
    """``warnings`` entries of an answer for one cluster's unplaced series.

    The example series (exporter addresses and pod names) is for staff only
    (:mod:`kcloud.audience`); everyone else learns which source and how many.
    """
    from kcloud import audience

    if tally is None:
        return []
    internal = audience.internal()
    return [
        {
            "cluster": cluster,
            "code": "unplaced_series",
            "source": source,
            "series": n,
            "message": (
                f"{n} {source} series could not be placed on a node of {cluster}; their power is not in "
                f"any node's figures. See {DOCS} for the labels a scrape setup must keep."
            ),
            "example": tally.examples.get(source, {}) if internal else {},
        }
        for source, n in sorted(tally.unplaced.items())
    ]


def answer_warnings(results: Iterable) -> list[dict]:
    """Warnings of a fan-out's answering clusters (each value may carry a ``tally``)."""
    out: list[dict] = []
    for result in results:
        if getattr(result, "ok", False):
            out.extend(warnings(result.cluster.name, _tally_of(result.value)))
    return out


def _tally_of(value: object) -> Tally | None:
    tally = getattr(value, "tally", None)
    if isinstance(tally, Tally):
        return tally
    merged = None
    for attr in ("snapshot", "energy", "series"):  # composite answers (power now + energy, ...)
        inner = getattr(getattr(value, attr, None), "tally", None)
        if isinstance(inner, Tally):
            merged = merged or Tally()
            merged.merge(inner)
    return merged
