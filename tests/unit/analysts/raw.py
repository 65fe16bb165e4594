"""The bundled CSVs read with the csv module alone, merged as the provenance note says: independent of the provider."""

from __future__ import annotations

import csv
import functools
import gzip

from investmind.market.bundled import DATA_DIR

SPLIT = "2020-01-02"
"""The first baostock (unadjusted) day: older rows come from Qbot, or zvt for the stocks Qbot lacks."""


def _read(name: str) -> list[dict[str, str]]:
    with gzip.open(DATA_DIR / name, "rt", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@functools.cache
def _files() -> dict[str, list[dict[str, str]]]:
    return {
        "baostock": [r for r in _read("cn_daily_61_2020_2025.csv.gz") if r["tradestatus"] == "1"],
        "qbot": _read("cn_daily_qfq_2010_2020_qbot46.csv.gz"),
        "zvt": _read("cn_daily_2015_2020.csv.gz"),
    }


def rows(symbol: str, until: str, since: str = "") -> list[dict[str, str]]:
    """The bars of ``symbol`` (``600519.SH``) dated ``since`` .. ``until``; zvt rows have ``preclose`` ''."""
    code, market = symbol.split(".")
    files = _files()
    recent = [r for r in files["baostock"] if r["code"] == f"{market.lower()}.{code}"]
    older = [r for r in files["qbot"] if r["code"] == f"{market.lower()}.{code}"]
    if not older:
        older = [{**r, "preclose": ""} for r in files["zvt"] if r["code"] == code]
    first = recent[0]["date"] if recent else "9999"
    merged = [r for r in older if r["date"] < first] + recent
    return [r for r in merged if since <= r["date"] <= until]


def index_closes(until: str) -> list[float]:
    return [float(r["close"]) for r in _read("csi300_daily_2020_2025.csv.gz") if r["date"] <= until]


def macro_rows(name: str) -> list[dict[str, str]]:
    return _read(f"macro/{name}.csv.gz")


def shibor_rows() -> list[dict[str, str]]:
    return _read("shibor_daily_2006_2018.csv.gz")
