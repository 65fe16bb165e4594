"""``/v1/symbols``: the symbols this deployment can analyse, for the console's suggestions (no owner: public data)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from ..deps import CallerDep, CatalogDep, SettingsDep
from ..errors import ERROR_RESPONSES

router = APIRouter(prefix="/v1/symbols", tags=["symbols"], responses=ERROR_RESPONSES)


class SymbolEntry(BaseModel):
    symbol: str
    """Canonical, e.g. ``600519.SH``."""
    name: str
    industry: str | None
    first: str
    """ISO date of the first daily bar the bundled data holds."""
    last: str
    """ISO date of its last daily bar."""


class SymbolList(BaseModel):
    items: list[SymbolEntry]
    open: bool
    """True when a network provider is in the data chain: symbols beyond ``items`` may be analysed too
    (``market.catalog`` then accepts any well-formed A-share symbol)."""


@router.get("")
async def list_symbols(caller: CallerDep, known: CatalogDep, settings: SettingsDep) -> SymbolList:
    items = [
        SymbolEntry(symbol=info.symbol, name=info.name, industry=info.industry, first=info.first, last=info.last)
        for info in known.values()
    ]
    return SymbolList(
        items=sorted(items, key=lambda entry: entry.symbol), open=not set(settings.data_chain) <= {"bundled"}
    )
