"""PromQL builder: escaping, scopes and the label-selector parser."""

from __future__ import annotations

import re

import pytest

from clusters.prometheus.promql import (
    UNSCOPED,
    Matcher,
    Scope,
    any_of,
    check_duration,
    check_label_name,
    check_metric_name,
    eq,
    escape_regex,
    names_regex,
    ne,
    none_of,
    parse_matchers,
    quote,
    regex,
    render_matchers,
)

# (filter value a user might send, its rendered equality matcher)
NASTY_VALUES = [
    ('a"b', r'pod="a\"b"'),
    ("a\\b", r'pod="a\\b"'),
    ("line1\nline2", r'pod="line1\nline2"'),
    ("tab\there", r'pod="tab\there"'),
    (".*", 'pod=".*"'),
    ("}", 'pod="}"'),
    ('"} or vector(1) #', r'pod="\"} or vector(1) #"'),
    ("x or vector(1)", 'pod="x or vector(1)"'),
    ("서울-노드-01", 'pod="서울-노드-01"'),
    ("", 'pod=""'),
    ('\\"', r'pod="\\\""'),
]


def _matchers_of(selector: str, metric: str = "up") -> tuple[Matcher, ...]:
    assert selector.startswith(metric + "{")
    return parse_matchers(selector[len(metric) :])


@pytest.mark.parametrize(("value", "rendered"), NASTY_VALUES)
def test_eq_escapes_to_one_well_formed_matcher(value, rendered):
    matcher = eq("pod", value)
    assert matcher.render() == rendered
    # Re-parsing gives back exactly one matcher with the original value: nothing leaked out of the string.
    assert parse_matchers(rendered) == (Matcher("pod", "=", value),)
    selector = UNSCOPED.sel("up", matcher)
    assert selector == "up{" + rendered + "}"
    assert _matchers_of(selector) == (matcher,)


@pytest.mark.parametrize(("value", "_rendered"), NASTY_VALUES)
def test_any_of_matches_each_value_literally(value, _rendered):
    matcher = any_of("pod", [value, "other"])
    assert matcher.op == "=~"
    (parsed,) = parse_matchers(matcher.render())
    assert parsed == matcher
    # Prometheus anchors regex matchers; the value matches itself and nothing else.
    pattern = re.compile(f"^(?:{parsed.value})$")
    assert pattern.match(value)
    assert pattern.match("other")
    assert not pattern.match(value + "x")
    assert not pattern.match("anything-else")


def test_any_of_renders_exact_regex():
    assert any_of("node", [".*", "a|b"]).render() == r'node=~"\\.\\*|a\\|b"'
    assert none_of("node", ["gpu-1"]).render() == r'node!~"gpu\\-1"'
    assert escape_regex("a.b") == r"a\.b"


def test_dot_star_does_not_match_everything():
    pattern = re.compile(f"^(?:{any_of('pod', ['.*']).value})$")
    assert pattern.match(".*")
    assert not pattern.match("web-1")


def test_ne_and_regex_render():
    assert ne("namespace", "kube-system").render() == 'namespace!="kube-system"'
    assert regex("__name__", "DCGM_FI_DEV_(POWER_USAGE|GPU_TEMP)").render() == (
        '__name__=~"DCGM_FI_DEV_(POWER_USAGE|GPU_TEMP)"'
    )


def test_names_regex_validates_names():
    assert names_regex(["DCGM_FI_DEV_POWER_USAGE", "RBLN_DEVICE_STATUS:CARD_POWER"]).render() == (
        '__name__=~"DCGM_FI_DEV_POWER_USAGE|RBLN_DEVICE_STATUS:CARD_POWER"'
    )
    with pytest.raises(ValueError):
        names_regex(["up or vector(1)"])
    with pytest.raises(ValueError):
        any_of("pod", [])


@pytest.mark.parametrize("name", ["", "1abc", "a-b", "a b", "a{", "é"])
def test_label_names_are_validated(name):
    with pytest.raises(ValueError):
        check_label_name(name)
    with pytest.raises(ValueError):
        eq(name, "x")


def test_metric_names_allow_colons():
    assert check_metric_name("RBLN_DEVICE_STATUS:CARD_POWER") == "RBLN_DEVICE_STATUS:CARD_POWER"
    with pytest.raises(ValueError):
        check_metric_name("up}")


def test_bad_regex_is_refused():
    with pytest.raises(ValueError):
        regex("pod", "(")


def test_quote():
    assert quote('say "hi"\n') == r'"say \"hi\"\n"'
    with pytest.raises(TypeError):
        quote(1)  # type: ignore[arg-type]


@pytest.mark.parametrize("window", ["5m", "1h30m", "30s", "100ms", "1d"])
def test_durations(window):
    assert check_duration(window) == window


@pytest.mark.parametrize("window", ["", "5", "5m]", "1h or vector(1)", "-5m"])
def test_bad_durations(window):
    with pytest.raises(ValueError):
        check_duration(window)


# --- scopes -------------------------------------------------------------------


def test_scope_adds_cluster_matcher_to_every_selector():
    scope = Scope.from_text('cluster="seoul-a"')
    assert scope.sel("up") == 'up{cluster="seoul-a"}'
    assert scope.sel("DCGM_FI_DEV_POWER_USAGE", eq("UUID", "GPU-1")) == (
        'DCGM_FI_DEV_POWER_USAGE{cluster="seoul-a",UUID="GPU-1"}'
    )
    assert scope.sel("kube_pod_info", namespace="ml") == 'kube_pod_info{cluster="seoul-a",namespace="ml"}'
    assert scope.sel(None, names_regex(["a", "b"])) == '{cluster="seoul-a",__name__=~"a|b"}'
    assert scope.range("kepler_node_cpu_joules_total", "5m") == ('kepler_node_cpu_joules_total{cluster="seoul-a"}[5m]')
    # Colon names go through __name__ so they stay unambiguous next to the scope's matchers.
    assert scope.sel("RBLN_DEVICE_STATUS:CARD_POWER") == (
        '{__name__="RBLN_DEVICE_STATUS:CARD_POWER",cluster="seoul-a"}'
    )


def test_scope_with_several_matchers_and_user_values():
    scope = Scope.from_text('{cluster="seoul-a", env=~"prod|staging"}')
    selector = scope.sel("up", eq("pod", '"} or vector(1)'))
    assert selector == r'up{cluster="seoul-a",env=~"prod|staging",pod="\"} or vector(1)"}'
    assert _matchers_of(selector) == (
        eq("cluster", "seoul-a"),
        regex("env", "prod|staging"),
        eq("pod", '"} or vector(1)'),
    )


def test_unscoped():
    assert UNSCOPED.sel("up") == "up"
    assert UNSCOPED.sel("up", job="node") == 'up{job="node"}'
    assert Scope.from_text("") == UNSCOPED
    with pytest.raises(ValueError):
        UNSCOPED.sel(None)
    with pytest.raises(ValueError):
        UNSCOPED.range("up", "5m] or vector(1) [5m")


# --- parse_matchers -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('cluster="seoul-a"', (eq("cluster", "seoul-a"),)),
        ('{cluster="seoul-a"}', (eq("cluster", "seoul-a"),)),
        (' { cluster = "seoul-a" , env!="dev" } ', (eq("cluster", "seoul-a"), ne("env", "dev"))),
        ('a=~"x.*",b!~"y"', (regex("a", "x.*"), Matcher("b", "!~", "y"))),
        ('a="x",', (eq("a", "x"),)),
        ('a="q\\"uote\\\\back\\nline"', (eq("a", 'q"uote\\back\nline'),)),
        ("", ()),
        ("{}", ()),
    ],
)
def test_parse_matchers_accepts(text, expected):
    assert parse_matchers(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "cluster=seoul-a",  # unquoted
        'cluster="seoul-a" env="x"',  # missing comma
        'cluster="seoul-a"} or vector(1)',
        '{cluster="seoul-a"',
        'up{cluster="a"}',
        "cluster='seoul-a'",
        'cluster=="a"',
        '1abc="x"',
        'a=~"("',  # invalid regex
        'a="x\\.y"',  # not a PromQL string escape: refused rather than guessed
        'a="unterminated',
        "garbage",
    ],
)
def test_parse_matchers_rejects_garbage(text):
    with pytest.raises(ValueError):
        parse_matchers(text)


def test_render_matchers_is_canonical_and_round_trips():
    matchers = parse_matchers(' {  env = "prod" , cluster=~"seoul-.*" } ')
    text = render_matchers(matchers)
    assert text == 'env="prod",cluster=~"seoul-.*"'
    assert parse_matchers(text) == matchers
