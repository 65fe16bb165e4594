"""The symbols the bundled dataset holds, without pandas: the API checks submissions against this list."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .symbols import normalize_symbol


@dataclass(frozen=True, slots=True)
class SymbolInfo:
    """One symbol of the bundled dataset; ``first`` and ``last`` are ISO dates of its first and last bar."""

    symbol: str
    name: str
    industry: str | None
    first: str
    last: str


# Kept by hand beside data/*.csv (a unit test checks that the two agree). Industries are those of
# data/PROVENANCE.md; the stocks it does not classify have none rather than a guessed one.
_SYMBOLS: tuple[SymbolInfo, ...] = (
    SymbolInfo("000001.SZ", "平安银行", "银行", "2015-01-05", "2025-04-07"),
    SymbolInfo("000338.SZ", "潍柴动力", None, "2015-01-05", "2020-06-16"),
    SymbolInfo("000778.SZ", "新兴铸管", None, "2015-01-05", "2020-06-16"),
    SymbolInfo("000783.SZ", "长江证券", None, "2015-01-05", "2020-06-16"),
    SymbolInfo("000858.SZ", "五粮液", "食品饮料 / 白酒", "2020-01-02", "2025-04-07"),
    SymbolInfo("002572.SZ", "索菲亚", None, "2015-01-05", "2020-06-16"),
    SymbolInfo("300027.SZ", "华谊兄弟", None, "2015-01-05", "2020-06-16"),
    SymbolInfo("300750.SZ", "宁德时代", "电力设备 / 电池", "2020-01-02", "2025-04-07"),
    SymbolInfo("600519.SH", "贵州茅台", "食品饮料 / 白酒", "2020-01-02", "2025-04-07"),
    SymbolInfo("601318.SH", "中国平安", "非银金融 / 保险", "2015-01-05", "2025-04-07"),
    SymbolInfo("603220.SH", "中贝通信", None, "2018-11-15", "2020-06-16"),
)
_BY_SYMBOL: dict[str, SymbolInfo] = {info.symbol: info for info in _SYMBOLS}


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
