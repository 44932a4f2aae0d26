"""Shared text-exposition helpers (Prometheus text format 0.0.4).

Every simulated exporter writes its own text, because the real ones differ in
small ways that matter to a parser: client_golang exporters sort label names and
format floats with Go's ``strconv.FormatFloat(v, 'g', -1, 64)``; dcgm-exporter
uses a Go template with a fixed label order and ``%f``/``%d`` values;
kube-state-metrics writes labels in its store's order with Go ``'g'`` values.
These helpers reproduce those details so that the output is byte-compatible in
shape with the real exporters (see ``docs/EXPORTERS.md`` and ``tests/fixtures/exporters``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "esc",
    "family_header",
    "go_float",
    "labels_fixed",
    "labels_sorted",
    "parse_samples",
    "render_families",
]


def esc(value: str) -> str:
    """Escape a label value like the text format requires (backslash, quote, newline)."""
    if "\\" in value or '"' in value or "\n" in value:
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return value


def _esc_help(text: str) -> str:
    """HELP text escapes only backslash and newline."""
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def family_header(name: str, help_text: str | None, mtype: str | None) -> str:
    """``# HELP`` / ``# TYPE`` lines for one family (either may be omitted)."""
    out = ""
    if help_text is not None:
        out += f"# HELP {name} {_esc_help(help_text)}\n"
    if mtype is not None:
        out += f"# TYPE {name} {mtype}\n"
    return out


def labels_fixed(pairs: Iterable[tuple[str, str]]) -> str:
    """``{k="v",...}`` in the given order (dcgm-exporter, kube-state-metrics)."""
    body = ",".join(f'{k}="{esc(v)}"' for k, v in pairs)
    return "{" + body + "}" if body else ""


def labels_sorted(pairs: Iterable[tuple[str, str]], drop_empty: bool = False) -> str:
    """``{k="v",...}`` sorted by label name, as client_golang writes them.

    ``drop_empty`` mimics exporters that filter empty-valued labels before
    registering (furiosa-metrics-exporter).  client_golang itself keeps labels
    with empty values (rbln-metrics-exporter shows ``pod=""``).
    """
    items = sorted((k, v) for k, v in pairs if not (drop_empty and v == ""))
    return labels_fixed(items)


def go_float(v: float) -> str:
    """Format like Go ``strconv.FormatFloat(v, 'g', -1, 64)`` (client_golang, KSM).

    For the *shortest* representation Go switches to exponent form when the
    decimal exponent is < -4 or >= 6 (it uses precision 6 for that decision),
    so 1234567 prints as ``1.234567e+06`` and 100000 as ``100000``.  Python's
    ``repr`` gives the same shortest digits but switches at 1e16, so we
    re-shape its output.
    """
    if type(v) is not float:
        v = float(v)
    r = repr(v)
    # Fast path (most values): fixed notation below 1e6 is identical in both.
    if -1e6 < v < 1e6:
        if r[-2:] == ".0":
            return r[:-2]
        if "e" not in r and "n" not in r:
            return r
    if v != v:
        return "NaN"
    if v == math.inf:
        return "+Inf"
    if v == -math.inf:
        return "-Inf"
    if "e" in r:
        # Python and Go agree on the shape (1e-05, 1.5e+16): sign and >= 2 exponent digits.
        return r
    # 1e6 <= |v| < 1e16: Python prints fixed, Go prints exponent form.
    sign = "-" if v < 0 else ""
    body = r.lstrip("-")
    int_part, _, frac = body.partition(".")
    frac = "" if frac == "0" else frac
    digits = (int_part + frac).lstrip("0").rstrip("0") or "0"
    exp = len(int_part) - 1
    mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{sign}{mant}e+{exp:02d}"


def render_families(families: Sequence[tuple[str, str | None, str | None, list[str]]]) -> str:
    """Join ``(name, help, type, sample_lines)`` families into one exposition."""
    parts: list[str] = []
    for name, help_text, mtype, lines in families:
        if not lines:
            continue
        parts.append(family_header(name, help_text, mtype))
        parts.append("".join(lines))
    return "".join(parts)


@dataclass(frozen=True)
class Sample:
    """One parsed sample line, labels in the order they were written."""

    name: str
    labels: tuple[tuple[str, str], ...]
    value: float
    timestamp_ms: int | None

    @property
    def label_dict(self) -> dict[str, str]:
        """Labels as a dict."""
        return dict(self.labels)


_UNESCAPE = {"\\": "\\", '"': '"', "n": "\n"}


def _parse_labels(s: str, i: int) -> tuple[tuple[tuple[str, str], ...], int]:
    """Parse ``{k="v",...}`` starting at ``s[i] == '{'``; returns labels and the index after ``}``."""
    out: list[tuple[str, str]] = []
    i += 1
    while True:
        while s[i] in " ,":
            i += 1
        if s[i] == "}":
            return tuple(out), i + 1
        eq = s.index("=", i)
        key = s[i:eq].strip()
        i = eq + 1
        if s[i] != '"':
            raise ValueError(f"bad label value at {i}: {s!r}")
        i += 1
        buf: list[str] = []
        while s[i] != '"':
            if s[i] == "\\":
                buf.append(_UNESCAPE.get(s[i + 1], "\\" + s[i + 1]))
                i += 2
            else:
                buf.append(s[i])
                i += 1
        out.append((key, "".join(buf)))
        i += 1


def parse_samples(text: str) -> list[Sample]:
    """Parse sample lines of a text exposition, keeping label order (tests, backfill).

    Unlike ``prometheus_client``'s parser this keeps counter names as written
    (no ``_total`` added) and the label order, which is what the tests compare.
    """
    out: list[Sample] = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        brace = line.find("{")
        space = line.find(" ")
        if brace != -1 and (space == -1 or brace < space):
            name = line[:brace]
            labels, i = _parse_labels(line, brace)
            rest = line[i:].split()
        else:
            name = line[:space]
            labels = ()
            rest = line[space:].split()
        value = float(rest[0])
        ts = int(rest[1]) if len(rest) > 1 else None
        out.append(Sample(name, labels, value, ts))
    return out
