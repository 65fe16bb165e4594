"""Submitting with the real catalogue: the bundled chain knows its own stocks only; a network provider opens it.

Symbol checks live in two places by design and nowhere else: ``AnalysisRequest`` refuses a spelling that
is not a symbol (``market.symbols.normalize_symbol``), ``market.catalog(chain)`` says whether any provider
of the chain may have data for a well-formed one.
"""

from __future__ import annotations

import pytest

from investmind.api.deps import get_catalog
from investmind.market import catalog

pytestmark = pytest.mark.anyio

OUTSIDE = "300124.SZ"
"""A CSI 300 stock the bundled data lacks (checked below)."""


@pytest.fixture
def real_catalog(world):
    del world.app.dependency_overrides[get_catalog]  # the catalogue the deployment's chain gives
    assert OUTSIDE not in catalog()
    return world


@pytest.mark.parametrize("chain", ["baostock", "baostock,bundled", "tushare,bundled", "akshare,bundled"])
async def test_a_network_provider_in_the_chain_accepts_any_well_formed_symbol(real_catalog, client, chain):
    real_catalog.configure(data_providers=chain)

    response = await client.post("/v1/analyses", json={"symbol": "300124"})

    assert response.status_code == 202, response.text
    assert [start.symbol for start in real_catalog.queue.sent] == [OUTSIDE]


async def test_the_bundled_chain_refuses_a_stock_it_has_no_data_for(real_catalog, client, expect_error):
    real_catalog.configure(data_providers="bundled")

    error = expect_error(await client.post("/v1/analyses", json={"symbol": "300124"}), 422, "unknown_symbol")

    assert error["details"]["symbol"] == OUTSIDE and OUTSIDE not in error["details"]["known"]
    assert real_catalog.queue.sent == []


@pytest.mark.parametrize("spelling", ["30012", "hello", "300124.XX"])
async def test_a_malformed_symbol_is_refused_whatever_the_chain(real_catalog, client, expect_error, spelling):
    real_catalog.configure(data_providers="baostock,bundled")

    expect_error(await client.post("/v1/analyses", json={"symbol": spelling}), 422, "validation_error")

    assert real_catalog.queue.sent == []
