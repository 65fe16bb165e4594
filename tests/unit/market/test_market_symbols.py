"""Symbols in every common spelling normalise to one canonical form, with the market inferred."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from investmind.market.symbols import MARKETS, code_of, infer_market, normalize_symbol, prefixed

# Six-digit A-share codes by exchange: Shanghai 60/68/90, Shenzhen 00/20/30, Beijing 4x/8x/920.
_PREFIXES = {"SH": ("600", "601", "603", "605", "688", "900"), "SZ": ("000", "001", "002", "200", "300", "301")}
_PREFIXES["BJ"] = ("430", "830", "831", "870", "920")
_SPELLED = {
    "SH": ("SH", "SS", "XSHG", "SHSE", "SSE"),
    "SZ": ("SZ", "XSHE", "SZSE"),
    "BJ": ("BJ", "BSE", "BJSE"),
}


@st.composite
def codes(draw: st.DrawFn) -> tuple[str, str]:
    market = draw(st.sampled_from(MARKETS))
    prefix = draw(st.sampled_from(_PREFIXES[market]))
    return prefix + draw(st.text("0123456789", min_size=3, max_size=3)), market


@st.composite
def spellings(draw: st.DrawFn) -> tuple[str, str]:
    """(a spelling, the canonical symbol it stands for)."""
    code, market = draw(codes())
    name = draw(st.sampled_from(_SPELLED[market]))
    sep = draw(st.sampled_from(["", ".", ":", "-", "_"]))
    form = draw(st.sampled_from(["bare", "suffix", "prefix"]))
    text = {"bare": code, "suffix": f"{code}{sep}{name}", "prefix": f"{name}{sep}{code}"}[form]
    text = "".join(c.lower() if draw(st.booleans()) else c for c in text)
    pad = draw(st.sampled_from(["", " ", "\t", "  "]))
    return f"{pad}{text}{pad}", f"{code}.{market}"


@given(spellings())
def test_normalize_every_spelling_gives_the_canonical_symbol(case: tuple[str, str]) -> None:
    spelling, canonical = case
    assert normalize_symbol(spelling) == canonical


@given(spellings())
def test_normalize_is_idempotent(case: tuple[str, str]) -> None:
    once = normalize_symbol(case[0])
    assert normalize_symbol(once) == once


@given(codes())
def test_normalize_provider_spellings_round_trip(case: tuple[str, str]) -> None:
    code, market = case
    canonical = f"{code}.{market}"
    # akshare's Eastmoney functions take the bare code, Sina/Eastmoney pages sh600519, baostock sh.600519.
    for spelling in (code_of(canonical), prefixed(canonical), prefixed(canonical)[:2] + "." + code):
        assert normalize_symbol(spelling) == canonical


@given(codes(), st.sampled_from(MARKETS))
def test_normalize_given_market_agrees_or_is_refused(case: tuple[str, str], given_market: str) -> None:
    code, market = case
    spelled = f"{code}.{market}"
    if given_market == market:
        assert normalize_symbol(spelled, given_market.lower()) == spelled
    else:
        with pytest.raises(ValueError, match="not on market"):
            normalize_symbol(spelled, given_market)


@given(codes())
def test_infer_market_from_code(case: tuple[str, str]) -> None:
    code, market = case
    assert infer_market(code) == market


@given(st.text(max_size=12))
def test_normalize_anything_else_is_a_clear_value_error(text: str) -> None:
    try:
        result = normalize_symbol(text)
    except ValueError as exc:
        assert str(exc)
    else:
        code, market = result.split(".")
        assert len(code) == 6 and code.isdigit() and market in MARKETS


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("600519", "600519.SH"),
        ("600519.SH", "600519.SH"),
        ("sh.600519", "600519.SH"),
        ("SH600519", "600519.SH"),
        ("000001.SZ", "000001.SZ"),
        ("600519.SS", "600519.SH"),
        ("000001.XSHE", "000001.SZ"),
        ("SZSE.000001", "000001.SZ"),
        ("sz000001", "000001.SZ"),
        ("920118", "920118.BJ"),
        ("900901", "900901.SH"),
        (" 300750 ", "300750.SZ"),
    ],
)
def test_normalize_known_spellings(spelling: str, canonical: str) -> None:
    assert normalize_symbol(spelling) == canonical


@pytest.mark.parametrize(
    ("spelling", "market", "message"),
    [
        ("hello", None, "is not a stock symbol"),
        ("60051", None, "is not a stock symbol"),
        ("600519.XX", None, "unknown market 'XX'"),
        ("600519.SH", "SZ", "is on SH, not on market 'SZ'"),
        ("123456", None, "cannot infer the market"),
    ],
)
def test_normalize_refuses_with_a_reason(spelling: str, market: str | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        normalize_symbol(spelling, market)
