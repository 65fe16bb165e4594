"""Stock symbols in their common spellings, normalised to one canonical form (``600519.SH``)."""

from __future__ import annotations

import re

MARKETS = ("SH", "SZ", "BJ")
_FORMS = (
    re.compile(r"^(?P<code>\d{6})$"),
    re.compile(r"^(?P<code>\d{6})\.(?P<market>[A-Z]{2})$"),
    re.compile(r"^(?P<market>[A-Z]{2})\.?(?P<code>\d{6})$"),
)


def infer_market(code: str) -> str:
    """The exchange of a six-digit A-share code: 6/9 → SH, 0/2/3 → SZ, 4/8 → BJ."""
    first = code[0]
    if first in "69":
        return "SH"
    if first in "023":
        return "SZ"
    if first in "48":
        return "BJ"
    raise ValueError(f"cannot infer the market of code {code!r}")


def normalize_symbol(raw: str, market: str | None = None) -> str:
    """Canonical ``CODE.MARKET`` for ``600519``, ``600519.SH``, ``sh.600519``, ``SH600519`` and the like.

    Raises ``ValueError`` with a message fit for a user when the spelling is not a symbol, or when
    its market contradicts the one given.
    """
    text = raw.strip().upper()
    for form in _FORMS:
        match = form.match(text)
        if match:
            break
    else:
        raise ValueError(f"{raw!r} is not a stock symbol (expected e.g. 600519, 600519.SH or sh.600519)")
    code = match.group("code")
    spelled = match.groupdict().get("market")
    given = market.strip().upper() if market else None
    for name in (spelled, given):
        if name is not None and name not in MARKETS:
            raise ValueError(f"unknown market {name!r} (expected one of {', '.join(MARKETS)})")
    if spelled and given and spelled != given:
        raise ValueError(f"symbol {raw!r} is on {spelled}, not on market {given!r}")
    return f"{code}.{spelled or given or infer_market(code)}"
