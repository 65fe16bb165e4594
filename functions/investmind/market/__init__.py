"""Market data for the analysts: snapshots of one stock at one date, and the catalogue of known symbols.

Importing this package stays light (no pandas): ``models`` imports ``market.symbols`` and the API
checks symbols against ``catalog()`` at submit time. pandas loads on the first snapshot.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING

from .base import PART_NAMES, PROVIDER_NAMES, MarketDataProvider, PartUnavailable, Profile
from .catalog import SymbolInfo, catalog
from .snapshot import Snapshot

if TYPE_CHECKING:
    from .assemble import Market

__all__ = [
    "PART_NAMES",
    "PROVIDER_NAMES",
    "MarketDataProvider",
    "PartUnavailable",
    "Profile",
    "Snapshot",
    "SymbolInfo",
    "catalog",
    "load_snapshot",
]


def load_snapshot(symbol: str, as_of: dt.date | None = None) -> Snapshot:
    """The snapshot of ``symbol`` (any common spelling) at ``as_of`` (None: latest) from the bundled data.

    Offline and configuration-free (tests, notebooks); the handlers use ``composition.market.loader``,
    which follows the deployment's provider chain and caches. Raises ``errors.DataUnavailable`` for an
    unknown symbol or a date outside the stock's data; see ``Market.load_snapshot`` for how ``as_of``
    resolves.
    """
    return _bundled().load_snapshot(symbol, as_of)


@functools.cache
def _bundled() -> Market:
    from .factory import MarketConfig, build_market

    return build_market(MarketConfig(providers=("bundled",)))
