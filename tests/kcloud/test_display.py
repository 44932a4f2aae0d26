"""The display filters: "—" for a missing value (never 0), a unit only after a number."""

from __future__ import annotations

from django.template import engines

from kcloud.templatetags.display import DASH, amounts, money, num, percent_width


def _render(source: str, **context) -> str:
    """``source`` through the project's template engine (the filters are builtins: no ``{% load %}``)."""
    return engines["django"].from_string(source).render(context)


def test_num_prints_a_missing_value_as_a_dash_never_zero():
    assert num(1234.5, 1) == "1,234.5" and num(0) == "0" and num(7) == "7"
    assert num(None) == DASH and num(float("nan"), 2) == DASH and num(float("inf")) == DASH


def test_a_zero_has_no_sign_but_a_negative_number_keeps_it():
    assert num(-0.0001, 3) == "0.000" and num(-0.0, 1) == "0.0" and num(-0.4) == "0"
    assert num(-0.002, 3) == "-0.002" and num(-1234.5, 1) == "-1,234.5"


def test_a_variable_the_template_cannot_resolve_is_missing():
    # {{ power.avg_power_watts }} when the 24 h query failed and there is no ``power``.
    assert _render('{{ power.avg_power_watts|num:1|unit:"W" }}', power=None) == DASH
    assert _render("{{ row.idle|num:1 }}", row={}) == DASH


def test_unit_follows_a_number_and_never_a_dash():
    assert _render('{{ w|num:1|unit:"W" }}', w=12.34) == "12.3 W"
    assert _render('{{ w|num:1|unit:"W" }}', w=None) == DASH
    # A currency may be unknown: the number stands alone.
    assert _render("{{ cost|num:2|unit:currency }}", cost=5, currency=None) == "5.00"
    assert _render("{{ cost|num:2|unit:currency }}", cost=1234.5, currency="KRW") == "1,234.50 KRW"


def test_amounts_in_several_currencies_are_printed_side_by_side():
    assert amounts([(1234.5, "KRW", 0), (3.4, "USD", 2)]) == "1,234 KRW + 3.40 USD"
    assert money(1234.56, "KRW") == "1,235 KRW" and money(3.4, "USD") == "3.40 USD"
    assert amounts([(1234.56, "KRW", 2)]) == "1,235 KRW"  # whatever digits the caller asks for
    assert money(None, "KRW") == DASH and money(12.5, None) == "12.50"
    assert amounts([(None, "KRW", 2)]) == DASH and amounts([]) == DASH


def test_percent_width_clamps_and_has_no_bar_without_a_reading():
    assert percent_width(42.0) == 42.0 and percent_width(-3.0) == 0.0 and percent_width(140.0) == 100.0
    assert percent_width(None) is None and percent_width(float("nan")) is None


def test_memory_and_labels():
    assert _render("{{ used|memory:total }}", used=1024, total=81920) == "1.0 / 80.0"
    assert _render("{{ used|memory:total }}", used=None, total=None) == DASH
    assert _render("{{ v|vendor_label }} {{ m|model_label }}", v="furiosa", m="rngd") == "FuriosaAI RNGD"
