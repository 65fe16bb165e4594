"""The pandas-free catalogue agrees with the bundled CSVs and the provenance note."""

from __future__ import annotations

import csv
import gzip
import subprocess
import sys
from collections import defaultdict

from investmind.market import catalog
from investmind.market.bundled import DATA_DIR
from investmind.market.symbols import normalize_symbol


def _rows(name: str):
    with gzip.open(DATA_DIR / name, "rt", encoding="utf-8") as f:
        yield from csv.DictReader(f)


def _csv_symbols() -> dict[str, dict[str, str]]:
    """Symbol → first and last traded date and latest name, read with the csv module (independent of the provider)."""
    seen: dict[str, dict[str, str]] = defaultdict(dict)

    def note(symbol: str, date: str, name: str | None) -> None:
        entry = seen[symbol]
        entry["first"] = min(entry.get("first", date), date)
        if date >= entry.get("last", date):
            entry["last"] = date
            if name:
                entry["name"] = name

    for row in _rows("cn_daily_2015_2020.csv.gz"):
        note(normalize_symbol(row["code"]), row["date"], row["name"])
    for row in _rows("cn_daily_qfq_2010_2020_qbot46.csv.gz"):
        note(normalize_symbol(row["code"]), row["date"], None)
    names = {normalize_symbol(r["code"]): r["name"].replace(" ", "") for r in _rows("selection_61.csv.gz")}
    for row in _rows("cn_daily_61_2020_2025.csv.gz"):
        if row["tradestatus"] == "1":
            symbol = normalize_symbol(row["code"])
            note(symbol, row["date"], names[symbol])
    return seen


def test_catalog_matches_csv_symbols_and_dates() -> None:
    known = catalog()
    data = _csv_symbols()

    assert set(known) == set(data) and len(known) == 67  # the 61 and the six only zvt holds
    for symbol, entry in data.items():
        info = known[symbol]
        assert (info.symbol, info.first, info.last, info.name) == (symbol, entry["first"], entry["last"], entry["name"])


def test_catalog_industries_are_the_eastmoney_boards() -> None:
    boards = {normalize_symbol(r["code"]): r["industry_em"] for r in _rows("cn_industry_em_2024-01.csv.gz")}

    assert catalog()["600519.SH"].industry == "酿酒行业" and catalog()["300750.SZ"].industry == "电池"
    for symbol, info in catalog().items():
        assert info.industry == boards[symbol]
    assert len({info.industry for info in catalog().values()}) >= 37


def test_catalog_import_does_not_load_pandas() -> None:
    code = (
        "import sys, investmind.models, investmind.market as m; "
        "assert m.catalog()['600519.SH'].last == '2025-04-07'; "
        "assert 'pandas' not in sys.modules, 'pandas imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_catalog_returns_a_copy() -> None:
    catalog().clear()

    assert "600519.SH" in catalog()


def test_catalog_with_a_network_provider_contains_any_symbol_but_lists_the_bundled() -> None:
    open_catalog = catalog(("akshare", "bundled"))

    assert "688981.SH" in open_catalog and "600519.SH" in open_catalog
    assert "600519" not in open_catalog and "hello" not in open_catalog  # canonical spellings only
    assert set(open_catalog) == set(catalog())
    assert "688981.SH" not in catalog()
