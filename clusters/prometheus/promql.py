"""PromQL builder: selectors are built, never formatted from input.

Label values are escaped as PromQL string literals; values of regex matchers are
regex-escaped first (so ``.*`` from a filter matches the two characters, not
everything); label and metric names are validated against Prometheus' grammar.
A :class:`Scope` carries a cluster's own matchers (``label_selector``, e.g.
``cluster="seoul-a"``) and adds them to every selector it builds, which is how
one global Thanos/Mimir/VictoriaMetrics querier serves many clusters.

Domain ``queries.py`` modules write PromQL as functions of a ``Scope``::

    def gpu_power(scope: Scope) -> str:
        return f"sum by (UUID) ({scope.sel('DCGM_FI_DEV_POWER_USAGE')})"

The f-string only ever joins builder output and constants.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

LABEL_NAME_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
# Metric names may contain colons (recording rules, Rebellions' legacy names).
METRIC_NAME_RE = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
DURATION_RE = re.compile(r"^([0-9]+(ms|s|m|h|d|w|y))+$")
OPERATORS = ("=", "!=", "=~", "!~")

# Characters that PromQL string literals need escaped (double-quoted form).
_STRING_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_label_value(value: str) -> str:
    """Escape a value for use inside a double-quoted PromQL string literal."""
    if not isinstance(value, str):
        raise TypeError("label values must be strings")
    return "".join(_STRING_ESCAPES.get(char, char) for char in value)


def quote(value: str) -> str:
    """Return ``value`` as a double-quoted PromQL string literal."""
    return f'"{escape_label_value(value)}"'


def escape_regex(value: str) -> str:
    """Regex-escape a literal so it matches only itself (RE2 syntax)."""
    # re.escape's output is valid RE2: it only backslash-escapes punctuation.
    return re.escape(value)


def check_label_name(name: str) -> str:
    """Return ``name`` if it is a valid label name, else raise ValueError."""
    if not LABEL_NAME_RE.match(name or ""):
        raise ValueError(f"invalid label name {name!r}")
    return name


def check_metric_name(name: str) -> str:
    """Return ``name`` if it is a valid metric name, else raise ValueError."""
    if not METRIC_NAME_RE.match(name or ""):
        raise ValueError(f"invalid metric name {name!r}")
    return name


def check_duration(value: str) -> str:
    """Return ``value`` if it is a PromQL duration such as ``5m`` or ``1h30m``."""
    if not DURATION_RE.match(value or ""):
        raise ValueError(f"invalid duration {value!r}")
    return value


# The window of ``rate()`` over counters: at least 4 x the usual 30 s scrape interval, so a rate
# always has several samples.
RATE_WINDOW = "2m"


def promql_duration(seconds: int) -> str:
    """Seconds → the shortest exact PromQL duration (``3600`` → ``1h``)."""
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


@dataclass(frozen=True)
class Matcher:
    """One label matcher. ``value`` is the final matcher value (already a regex for =~/!~)."""

    label: str
    op: str
    value: str

    def __post_init__(self) -> None:
        check_label_name(self.label)
        if self.op not in OPERATORS:
            raise ValueError(f"invalid matcher operator {self.op!r}")
        if self.op in ("=~", "!~"):
            try:
                re.compile(self.value)
            except re.error as exc:
                raise ValueError(f"invalid regex for {self.label}: {exc}") from None

    def render(self) -> str:
        return f"{self.label}{self.op}{quote(self.value)}"


def eq(label: str, value: str) -> Matcher:
    """``label="value"`` with the value escaped."""
    return Matcher(label, "=", value)


def ne(label: str, value: str) -> Matcher:
    """``label!="value"`` with the value escaped."""
    return Matcher(label, "!=", value)


def any_of(label: str, values: list[str] | tuple[str, ...]) -> Matcher:
    """``label=~"a|b"`` where each value is matched literally (regex-escaped)."""
    if not values:
        raise ValueError("any_of needs at least one value")
    return Matcher(label, "=~", "|".join(escape_regex(v) for v in values))


def none_of(label: str, values: list[str] | tuple[str, ...]) -> Matcher:
    """``label!~"a|b"`` where each value is matched literally (regex-escaped)."""
    if not values:
        raise ValueError("none_of needs at least one value")
    return Matcher(label, "!~", "|".join(escape_regex(v) for v in values))


def regex(label: str, pattern: str) -> Matcher:
    """``label=~"pattern"`` for patterns written in code (never from user input)."""
    return Matcher(label, "=~", pattern)


def names_regex(names: list[str] | tuple[str, ...]) -> Matcher:
    """``__name__=~"a|b|c"``: fetch several metrics in one instant selector."""
    return any_of("__name__", [check_metric_name(n) for n in names])


# A matcher in label_selector text: name, operator, double-quoted string.
_MATCHER_TEXT_RE = re.compile(
    r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\\n]|\\.)*)"\s*(?:,|$)',
)
_UNESCAPES = {"\\\\": "\\", '\\"': '"', "\\n": "\n", "\\r": "\r", "\\t": "\t"}


def _unescape(raw: str) -> str:
    """Undo :func:`escape_label_value`; any other escape is refused, not guessed.

    PromQL has more escapes (``\\x41``, ``\\u00e9``) and rejects unknown ones such
    as ``\\.``; silently dropping the backslash would change what a selector means.
    """

    def replace(match: re.Match) -> str:
        escape = match.group(0)
        if escape not in _UNESCAPES:
            raise ValueError(f'unsupported escape {escape!r} in label selector; use \\\\, \\", \\n, \\r or \\t')
        return _UNESCAPES[escape]

    return re.sub(r"\\.", replace, raw)


def parse_matchers(text: str) -> tuple[Matcher, ...]:
    """Parse ``a="x", b=~"y.*"`` (optionally wrapped in braces) into matchers.

    Raises ValueError with a readable message on anything else, so a cluster's
    ``label_selector`` is validated when it is saved, not when a query fails.
    """
    body = (text or "").strip()
    if body.startswith("{") and body.endswith("}"):
        body = body[1:-1].strip()
    if not body:
        return ()
    matchers: list[Matcher] = []
    position = 0
    while position < len(body):
        match = _MATCHER_TEXT_RE.match(body, position)
        if not match or match.end() == position:
            raise ValueError(
                f'cannot parse label selector near {body[position : position + 20]!r}; use name="value", ...'
            )
        label, op, raw = match.groups()
        value = _unescape(raw)
        matchers.append(Matcher(label, op, value))
        position = match.end()
    return tuple(matchers)


def render_matchers(matchers: tuple[Matcher, ...] | list[Matcher]) -> str:
    """Render matchers in canonical form (``a="x",b=~"y"``)."""
    return ",".join(m.render() for m in matchers)


@dataclass(frozen=True)
class Scope:
    """The matchers every selector of one cluster carries."""

    matchers: tuple[Matcher, ...] = field(default_factory=tuple)

    @classmethod
    def from_text(cls, text: str) -> Scope:
        return cls(parse_matchers(text))

    def sel(self, metric: str | None = None, *matchers: Matcher, **equals: str) -> str:
        """Build an instant vector selector.

        ``scope.sel("up", eq("job", j))`` or ``scope.sel("up", job=j)``; keyword
        arguments are equality matchers. With no metric name, at least one
        matcher must select (``scope.sel(None, names_regex([...]))``).
        """
        parts = list(self.matchers) + list(matchers) + [eq(k, v) for k, v in equals.items()]
        if metric is None:
            if not parts:
                raise ValueError("a selector without a metric name needs a matcher")
            return "{" + render_matchers(parts) + "}"
        check_metric_name(metric)
        if not parts:
            return metric
        if ":" in metric:
            # Colon names are fine bare, but __name__ keeps them unambiguous next to scope matchers.
            return "{" + render_matchers([eq("__name__", metric), *parts]) + "}"
        return metric + "{" + render_matchers(parts) + "}"

    def range(self, metric: str | None, window: str, *matchers: Matcher, **equals: str) -> str:
        """Build a range vector selector ``metric{...}[window]``."""
        return f"{self.sel(metric, *matchers, **equals)}[{check_duration(window)}]"


UNSCOPED = Scope()


# -- several sub-expressions in one request ---------------------------------------------
# ``a or b`` matches label sets *without* the metric name, so a right-hand series whose
# labels equal a left-hand one would be dropped: each part is tagged first.
TAG = "kcloud_part"


def tag(expr: str, name: str) -> str:
    """``label_replace(expr, "kcloud_part", name, "", "")``: mark a sub-expression's series."""
    return f'label_replace({expr}, "{TAG}", {quote(name)}, "", "")'


def union(*exprs: str) -> str:
    """Join (tagged) sub-expressions into one request."""
    return " or ".join(f"({e})" for e in exprs)
