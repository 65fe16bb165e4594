"""Market data for the analysts: snapshots of one stock at one date, and the catalogue of known symbols.

Importing this package stays light (no pandas): ``models`` imports ``market.symbols`` and the API
checks symbols against ``catalog()`` at submit time. pandas loads on the first ``load_snapshot``.
"""

from __future__ import annotations

import datetime as dt

from .catalog import SymbolInfo, catalog
from .snapshot import Snapshot

__all__ = ["Snapshot", "SymbolInfo", "catalog", "load_snapshot"]


def load_snapshot(symbol: str, as_of: dt.date | None = None) -> Snapshot:
    """The bundled snapshot of ``symbol`` (canonical, e.g. ``600519.SH``) at ``as_of`` (None: latest).

    Raises ``errors.DataUnavailable`` for an unknown symbol or a date outside the stock's data; see
    ``bundled.load_snapshot`` for how ``as_of`` resolves.
    """
    from .bundled import load_snapshot as load_bundled  # deferred: pulls in pandas

    return load_bundled(symbol, as_of)
