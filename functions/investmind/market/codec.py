"""Parts to bytes and back, exactly: gzip-compressed JSON that any reader of the shared cache can decode.

Not pickle: the cache table is shared, and unpickling what someone else wrote runs their code.
Floats go through ``json`` (``repr``), which round-trips every double exactly; NaN becomes null and
an infinity the string ``"inf"``.
"""

from __future__ import annotations

import gzip
import json
import math
from typing import Any

import pandas as pd

from .base import Profile

_LEVEL = 6


def _float(value: Any) -> float | str | None:
    value = float(value)
    if math.isnan(value):
        return None
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"  # JSON has no infinity; a string keeps it exact
    return value


def _floats(values: Any) -> list[float | str | None]:
    return [_float(v) for v in values]


def _unfloat(values: list[Any]) -> list[float]:
    return [math.nan if v is None else float(v) for v in values]


def _dates(index: pd.DatetimeIndex) -> list[str]:
    return [d.strftime("%Y-%m-%d") for d in index]


def _unit(dtype: Any) -> str:
    """``s``/``ms``/``us``/``ns``: pandas keeps a datetime's resolution, and equal frames need the same."""
    return str(dtype).removeprefix("datetime64[").removesuffix("]")


def _column(series: pd.Series) -> dict[str, Any]:
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        values = [None if pd.isna(v) else v.strftime("%Y-%m-%d") for v in series]
        return {"kind": "date", "unit": _unit(series.dtype), "values": values}
    if pd.api.types.is_numeric_dtype(series.dtype):
        return {"kind": "float", "values": _floats(series.to_numpy(dtype="float64"))}
    return {"kind": "text", "values": [None if pd.isna(v) else str(v) for v in series]}


def _restore(column: dict[str, Any]) -> pd.Series:
    values = column["values"]
    if column["kind"] == "date":
        return pd.Series(pd.to_datetime(values, format="%Y-%m-%d")).dt.as_unit(column["unit"])
    if column["kind"] == "float":
        return pd.Series(_unfloat(values), dtype="float64")
    return pd.Series(values, dtype="str")


def _index(dates: list[str], name: str | None, unit: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(dates, format="%Y-%m-%d"), name=name).as_unit(unit)


def to_plain(value: Any) -> dict[str, Any]:
    """A JSON-able description of a part's value (a frame, a symbol → series map, or a profile)."""
    if isinstance(value, Profile):
        return {"type": "profile", "name": value.name, "industry": value.industry}
    if isinstance(value, pd.DataFrame):
        return {
            "type": "frame",
            "index": _dates(value.index),
            "index_name": value.index.name,
            "unit": _unit(value.index.dtype),
            "columns": {str(c): _column(value[c]) for c in value.columns},
        }
    if isinstance(value, dict):
        return {
            "type": "series",
            "items": {
                s: {
                    "index": _dates(c.index),
                    "index_name": c.index.name,
                    "unit": _unit(c.index.dtype),
                    "name": c.name,
                    "values": _floats(c),
                }
                for s, c in value.items()
            },
        }
    raise TypeError(f"cannot encode a part of type {type(value).__name__}")


def from_plain(plain: dict[str, Any]) -> Any:
    kind = plain["type"]
    if kind == "profile":
        return Profile(name=plain["name"], industry=plain["industry"])
    if kind == "frame":
        index = _index(plain["index"], plain["index_name"], plain["unit"])
        columns = {c: _restore(col).set_axis(index) for c, col in plain["columns"].items()}
        return pd.DataFrame(columns, index=index)
    if kind == "series":
        return {
            s: pd.Series(
                _unfloat(item["values"]),
                index=_index(item["index"], item["index_name"], item["unit"]),
                name=item["name"],
                dtype="float64",
            )
            for s, item in plain["items"].items()
        }
    raise ValueError(f"unknown part encoding {kind!r}")


def encode(value: Any) -> bytes:
    text = json.dumps(to_plain(value), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return gzip.compress(text.encode("utf-8"), compresslevel=_LEVEL, mtime=0)


def decode(blob: bytes) -> Any:
    return from_plain(json.loads(gzip.decompress(blob).decode("utf-8")))
