"""The pandas-free catalogue agrees with the bundled CSVs and the provenance note."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from collections import defaultdict

from investmind.market import catalog
from investmind.market.bundled import DATA_DIR
from investmind.market.symbols import normalize_symbol


def _csv_symbols() -> dict[str, dict[str, str]]:
    """Symbol → first, last and latest name, read with the csv module (independent of the provider)."""
    seen: dict[str, dict[str, str]] = defaultdict(dict)

    def note(symbol: str, date: str, name: str | None) -> None:
        entry = seen[symbol]
        entry["first"] = min(entry.get("first", date), date)
        if date >= entry.get("last", date):
            entry["last"] = date
            if name:
                entry["name"] = name

    with open(DATA_DIR / "cn_daily_2015_2020.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            note(normalize_symbol(row["code"]), row["date"], row["name"])
    with open(DATA_DIR / "cn_daily_2020_2025.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            note(normalize_symbol(row["code"]), row["date"], None)
    return seen


def _provenance_industries() -> dict[str, str]:
    text = (DATA_DIR / "PROVENANCE.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d{6}) \| [^|]+ \| ([^|(]+?) \(", text, flags=re.MULTILINE)
    return {normalize_symbol(code): industry.strip() for code, industry in rows}


def test_catalog_matches_csv_symbols_and_dates() -> None:
    known = catalog()
    data = _csv_symbols()

    assert set(known) == set(data)
    for symbol, entry in data.items():
        info = known[symbol]
        assert (info.symbol, info.first, info.last) == (symbol, entry["first"], entry["last"])
        if "name" in entry:
            assert info.name == entry["name"]


def test_catalog_industries_match_provenance_note() -> None:
    industries = _provenance_industries()

    assert len(industries) == 5
    for symbol, info in catalog().items():
        assert info.industry == industries.get(symbol)


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
