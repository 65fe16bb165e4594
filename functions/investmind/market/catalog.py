"""The symbols the bundled dataset holds, without pandas: the API checks submissions against this list."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .symbols import normalize_symbol


@dataclass(frozen=True, slots=True)
class SymbolInfo:
    """One symbol of the bundled dataset; ``first`` and ``last`` are ISO dates of its first and last bar."""

    symbol: str
    name: str
    industry: str | None
    first: str
    last: str


def _read() -> dict[str, SymbolInfo]:
    # data/symbols.csv is derived from the bundled files (tests/unit/market/test_market_catalog.py
    # checks that the two agree); industries are Eastmoney boards (market.universe).
    path = Path(__file__).parent / "data" / "symbols.csv"
    with open(path, encoding="utf-8", newline="") as f:
        infos = [
            SymbolInfo(r["symbol"], r["name"], r["industry"] or None, r["first"], r["last"]) for r in csv.DictReader(f)
        ]
    return {info.symbol: info for info in infos}


_BY_SYMBOL: dict[str, SymbolInfo] = _read()


def catalog(providers: Iterable[str] = ("bundled",)) -> Mapping[str, SymbolInfo]:
    """Canonical symbol (``600519.SH``) → what the bundled dataset holds for it (a fresh dict).

    With a network provider in ``providers`` (the deployment's chain) any well-formed A-share
    symbol may have data: the mapping then also *contains* every canonical symbol, while it still
    lists (iterates) only the bundled ones.
    """
    if set(providers) <= {"bundled"}:
        return dict(_BY_SYMBOL)
    return _OpenCatalog(_BY_SYMBOL)


class _OpenCatalog(dict):
    """The bundled entries, plus membership for any symbol a network provider may know."""

    def __contains__(self, symbol: object) -> bool:
        if not isinstance(symbol, str):
            return False
        try:
            return normalize_symbol(symbol) == symbol
        except ValueError:
            return False
