"""What the bundled stocks are: names, Eastmoney industry boards and index membership (no pandas).

Read from ``data/`` with the csv module, so the API's symbol check and the catalogue stay light.
The industry map and the index lists are snapshots of January 2024 (``data/PROVENANCE.md``): an
analysis of an earlier date sees today's board, not the one of its time.
"""

from __future__ import annotations

import csv
import functools
import gzip
from collections.abc import Iterator, Mapping
from pathlib import Path

from .symbols import normalize_symbol

DATA_DIR = Path(__file__).parent / "data"
INDEX_NAMES = {"沪深300": "CSI 300", "中证500": "CSI 500", "上证50": "SSE 50", "科创50": "STAR 50"}


def rows(name: str) -> Iterator[dict[str, str]]:
    """The rows of one bundled CSV (gzip-compressed or not) as dicts of text."""
    path = DATA_DIR / name
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as f:
        yield from csv.DictReader(f)


@functools.cache
def industries() -> Mapping[str, str]:
    """Canonical symbol → its Eastmoney industry board (银行, 酿酒行业, 电池, …), for 5,378 A-shares."""
    return {normalize_symbol(r["code"]): r["industry_em"] for r in rows("cn_industry_em_2024-01.csv.gz")}


@functools.cache
def index_members() -> Mapping[str, frozenset[str]]:
    """Index name (``CSI 300``, ``CSI 500``, ``SSE 50``, ``STAR 50``) → its member symbols."""
    members: dict[str, set[str]] = {}
    for r in rows("cn_index_members_2024-01.csv.gz"):
        members.setdefault(INDEX_NAMES[r["index_name"]], set()).add(normalize_symbol(r["code"]))
    return {name: frozenset(symbols) for name, symbols in members.items()}


@functools.cache
def selection_names() -> Mapping[str, str]:
    """The 61 CSI 300 stocks of the 2020-2025 file → their short names (full-width spacing removed)."""
    return {normalize_symbol(r["code"]): "".join(r["name"].split()) for r in rows("selection_61.csv.gz")}


def industry_of(symbol: str) -> str | None:
    return industries().get(symbol)
