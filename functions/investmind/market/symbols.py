"""Stock symbols in their common spellings, normalised to one canonical form (``600519.SH``)."""

from __future__ import annotations

import re

MARKETS = ("SH", "SZ", "BJ")
# Exchange names as data vendors spell them: Yahoo writes Shanghai as SS, JoinQuant and RiceQuant
# use the MIC-like XSHG/XSHE, myquant (gm) SHSE/SZSE; BSE/BJSE are the Beijing exchange's.
_ALIASES = {
    "SH": "SH",
    "SS": "SH",
    "SSE": "SH",
    "SHSE": "SH",
    "XSHG": "SH",
    "SZ": "SZ",
    "SZSE": "SZ",
    "XSHE": "SZ",
    "BJ": "BJ",
    "BSE": "BJ",
    "BJSE": "BJ",
}
_SEP = r"[.:_\- ]?"
_FORMS = (
    re.compile(rf"^(?P<code>\d{{6}})(?:{_SEP}(?P<market>[A-Z]{{2,4}}))?$"),
    re.compile(rf"^(?P<market>[A-Z]{{2,4}}){_SEP}(?P<code>\d{{6}})$"),
)


def infer_market(code: str) -> str:
    """The exchange of a six-digit A-share code: 6/9 → SH (but 920 → BJ), 0/2/3 → SZ, 4/8 → BJ."""
    if code.startswith("920"):  # the Beijing exchange's codes since 2024; 900xxx are Shanghai B shares
        return "BJ"
    first = code[0]
    if first in "69":
        return "SH"
    if first in "023":
        return "SZ"
    if first in "48":
        return "BJ"
    raise ValueError(f"cannot infer the market of code {code!r}")


def _market(name: str | None) -> str | None:
    if name is None:
        return None
    if name not in _ALIASES:
        raise ValueError(f"unknown market {name!r} (expected one of {', '.join(MARKETS)})")
    return _ALIASES[name]


def normalize_symbol(raw: str, market: str | None = None) -> str:
    """Canonical ``CODE.MARKET`` for ``600519``, ``600519.SH``, ``sh.600519``, ``SH600519`` and the like.

    Also accepted: ``600519.SS`` (Yahoo), ``600519.XSHG`` (JoinQuant), ``SHSE.600519`` (myquant),
    ``sh:600519``, any letter case and surrounding blanks. Raises ``ValueError`` with a message fit
    for a user when the spelling is not a symbol, or when its market contradicts the one given.
    """
    text = raw.strip().upper()
    for form in _FORMS:
        match = form.match(text)
        if match:
            break
    else:
        raise ValueError(f"{raw!r} is not a stock symbol (expected e.g. 600519, 600519.SH or sh.600519)")
    code = match.group("code")
    spelled = _market(match.group("market"))
    given = _market(market.strip().upper()) if market and market.strip() else None
    if spelled and given and spelled != given:
        raise ValueError(f"symbol {raw!r} is on {spelled}, not on market {given!r}")
    return f"{code}.{spelled or given or infer_market(code)}"


def code_of(symbol: str) -> str:
    """``600519`` for the canonical ``600519.SH`` (what akshare's Eastmoney functions take)."""
    return symbol.split(".", 1)[0]


def prefixed(symbol: str) -> str:
    """``sh600519`` for ``600519.SH`` (Sina/Eastmoney web spelling)."""
    code, market = symbol.split(".", 1)
    return f"{market.lower()}{code}"
