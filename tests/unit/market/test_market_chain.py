"""Snapshot assembly: the provider chain's order and fallbacks, timeouts, the cache, stale and missing parts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess
import sys
import threading

import pandas as pd
import pytest

from investmind.analysts.common import data_confidence
from investmind.errors import DataUnavailable, ProviderTimeout
from investmind.market import load_snapshot
from investmind.market.assemble import Market
from investmind.market.base import MACRO_COLUMNS, PART_NAMES, VALUATION_COLUMNS, Profile
from investmind.market.cache import CacheEntry, MemoryCache
from investmind.market.parts import PartFetcher
from tests.conftest import wait_until

from .fakes import FakeProvider, bars_frame

D = dt.date
DAYS = [d.strftime("%Y-%m-%d") for d in pd.bdate_range("2021-01-04", "2021-03-05")]
AS_OF = D(2021, 3, 5)  # a Friday, the last of DAYS
T0 = dt.datetime(2021, 6, 1, tzinfo=dt.UTC).timestamp()  # "now": AS_OF is history


def _parts(scale: float = 1.0) -> dict:
    closes = [100.0 * scale + i for i in range(len(DAYS))]
    index = pd.DatetimeIndex(pd.to_datetime(DAYS), name="date")
    series = pd.Series(closes, index=index, name="close")
    reports = pd.DataFrame(
        {"report_period": ["year"], "roe": [0.12], "published_by": [pd.Timestamp("2021-01-30")]},
        index=pd.DatetimeIndex([pd.Timestamp("2020-09-30")], name="report_date"),
    )
    return {
        "bars": bars_frame(DAYS, closes),
        "valuation": pd.DataFrame({c: 10.0 * scale for c in VALUATION_COLUMNS}, index=index),
        "fundamentals": reports,
        "index_bars": bars_frame(DAYS, [5000.0 * scale] * len(DAYS)),
        "profile": Profile(name="平安银行", industry="银行"),
        "peers": {"600036.SH": series * 2},
        "universe": {"000001.SZ": series, "600036.SH": series * 2},
        "macro": pd.DataFrame({c: 2.0 for c in MACRO_COLUMNS}, index=index),
    }


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _market(*providers: FakeProvider, clock: Clock | None = None, **kwargs) -> Market:
    fetcher = PartFetcher(providers, memory=MemoryCache(), clock=clock or Clock(T0), **kwargs)
    return Market(fetcher)


def test_chain_first_provider_answers_every_part_and_is_recorded() -> None:
    first, second = FakeProvider("first", _parts()), FakeProvider("second", _parts(2.0))

    snapshot = _market(first, second).load_snapshot("000001", AS_OF)

    assert snapshot.symbol == "000001.SZ" and snapshot.as_of == AS_OF and snapshot.name == "平安银行"
    assert {p["source"] for p in snapshot.parts.values()} == {"first"}
    assert second.calls == {}
    assert all(p["fetched_at"] and p["as_of"] == AS_OF and not p["stale"] for p in snapshot.parts.values())


def test_chain_order_is_the_configured_order() -> None:
    first, second = FakeProvider("first", _parts()), FakeProvider("second", _parts(2.0))

    snapshot = _market(second, first).load_snapshot("000001.SZ", AS_OF)

    assert {p["source"] for p in snapshot.parts.values()} == {"second"}
    assert snapshot.close == 200.0 + len(DAYS) - 1


def test_chain_part_failing_in_one_provider_is_tried_in_the_next() -> None:
    first, second = FakeProvider("first", _parts()), FakeProvider("second", _parts(2.0))
    first.behaviour["valuation"] = ConnectionError("reset")

    snapshot = _market(first, second).load_snapshot("000001.SZ", AS_OF)

    assert snapshot.parts["valuation"]["source"] == "second"
    assert snapshot.parts["valuation"]["note"] == "first: ConnectionError: reset"
    assert snapshot.valuation.iloc[-1]["pe_ttm"] == 20.0
    assert snapshot.parts["bars"]["source"] == "first" and second.calls == {"valuation": 1}


def test_chain_part_no_provider_has_is_missing_and_says_why() -> None:
    parts = _parts()
    del parts["macro"], parts["peers"]
    first, second = FakeProvider("first", parts), FakeProvider("second", parts)

    snapshot = _market(first, second).load_snapshot("000001.SZ", AS_OF)

    assert snapshot.macro is None and snapshot.peers == {}  # never filled in with something else
    assert snapshot.missing("macro") and snapshot.missing("peers") and not snapshot.missing("bars")
    assert snapshot.parts["macro"]["note"] == "first: first has no macro; second: second has no macro"
    assert snapshot.parts["macro"]["source"] is None


def test_chain_each_part_has_its_own_timeout() -> None:
    first, second = FakeProvider("first", _parts()), FakeProvider("second", _parts(2.0))
    first.behaviour["peers"] = "hang"
    try:
        snapshot = _market(first, second, timeout_s=0.05).load_snapshot("000001.SZ", AS_OF)
        hanging = first.hanging  # the snapshot came back while first's peers call still hung
    finally:
        first.release.set()

    assert hanging == 1
    assert snapshot.parts["peers"]["source"] == "second"
    assert snapshot.parts["peers"]["note"] == "first: no answer in 0.05s"
    assert {p["source"] for n, p in snapshot.parts.items() if n != "peers"} == {"first"}


def test_chain_empty_frame_counts_as_not_there() -> None:
    first, second = FakeProvider("first", _parts()), FakeProvider("second", _parts(2.0))
    first.behaviour["index_bars"] = lambda: bars_frame([], [])

    snapshot = _market(first, second).load_snapshot("000001.SZ", AS_OF)

    assert snapshot.parts["index_bars"]["source"] == "second"
    assert snapshot.parts["index_bars"]["note"] == "first: no index bars"


def test_chain_bars_stopping_long_before_as_of_try_the_next_provider() -> None:
    short = _parts()
    short["bars"] = short["bars"].loc[:"2021-01-29"]
    first, second = FakeProvider("first", short), FakeProvider("second", _parts(2.0))

    snapshot = _market(first, second).load_snapshot("000001.SZ", AS_OF)

    assert snapshot.parts["bars"]["source"] == "second"
    assert snapshot.parts["bars"]["note"] == "first: no first data for 000001.SZ after 2021-01-29"


def test_chain_no_bars_anywhere_is_data_unavailable_with_every_reason() -> None:
    parts = _parts()
    del parts["bars"]

    with pytest.raises(DataUnavailable, match="first: first has no bars; second: second has no bars") as raised:
        _market(FakeProvider("first", parts), FakeProvider("second", parts)).load_snapshot("000001.SZ", AS_OF)

    assert raised.value.details["reasons"] == ["first: first has no bars", "second: second has no bars"]


def test_chain_no_bars_with_a_transient_failure_is_provider_timeout() -> None:
    parts = _parts()
    del parts["bars"]
    first = FakeProvider("first", parts)
    first.behaviour["bars"] = TimeoutError()

    with pytest.raises(ProviderTimeout, match="first: no answer"):
        _market(first, FakeProvider("second", parts)).load_snapshot("000001.SZ", AS_OF)


def test_snapshot_unknown_spelling_is_data_unavailable() -> None:
    with pytest.raises(DataUnavailable, match="is not a stock symbol"):
        _market(FakeProvider("first", _parts())).load_snapshot("hello", AS_OF)


def test_cache_hit_within_freshness_asks_no_provider() -> None:
    provider = FakeProvider("first", _parts())
    market = _market(provider)

    market.load_snapshot("000001.SZ", AS_OF)
    again = market.load_snapshot("000001.SZ", AS_OF)

    assert set(provider.calls.values()) == {1}
    assert again.parts["bars"]["source"] == "first" and not again.parts["bars"]["stale"]


def test_cache_miss_after_freshness_fetches_again() -> None:
    clock = Clock(T0)
    provider = FakeProvider("first", _parts())
    market = _market(provider, clock=clock, history_fresh_s=3600)

    market.load_snapshot("000001.SZ", AS_OF)
    clock.now += 3601
    market.load_snapshot("000001.SZ", AS_OF)

    assert set(provider.calls.values()) == {2}


def test_cache_today_is_fresh_for_less_time_than_history() -> None:
    # GIVEN the clock at noon in Shanghai on the last trading day
    clock = Clock(dt.datetime(2021, 3, 5, 12, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp())
    provider = FakeProvider("first", _parts())
    market = _market(provider, clock=clock, live_fresh_s=60, history_fresh_s=3600)
    market.load_snapshot("000001.SZ", AS_OF)  # "today": the market may still move
    market.load_snapshot("000001.SZ", D(2021, 3, 4))  # history

    # WHEN two minutes pass
    clock.now += 120
    market.load_snapshot("000001.SZ", AS_OF)
    market.load_snapshot("000001.SZ", D(2021, 3, 4))

    # THEN today's parts were fetched again and yesterday's came from the cache
    assert provider.calls["bars"] == 3


def test_cache_stale_copy_when_every_provider_fails() -> None:
    # GIVEN a good copy of every part, now past its freshness
    clock = Clock(T0)
    provider = FakeProvider("first", _parts())
    market = _market(provider, clock=clock, history_fresh_s=60)
    market.load_snapshot("000001.SZ", AS_OF)
    clock.now += 61
    # WHEN the provider fails for the valuation
    provider.behaviour["valuation"] = ConnectionError("down")
    snapshot = market.load_snapshot("000001.SZ", AS_OF)

    # THEN the last good copy is used, marked stale, with when it was fetched and why
    part = snapshot.parts["valuation"]
    assert part["stale"] and snapshot.stale("valuation") and part["source"] == "first"
    assert part["fetched_at"] == "2021-06-01T00:00:00Z"
    assert (
        part["note"] == "the copy cached at 2021-06-01T00:00:00Z, every provider failed (first: ConnectionError: down)"
    )
    assert snapshot.valuation.iloc[-1]["pe_ttm"] == 10.0
    assert not snapshot.stale("bars")


def test_cache_shared_outage_does_not_fail_the_snapshot() -> None:
    class Broken:
        def get(self, key: str) -> CacheEntry | None:
            raise ConnectionError("table unreachable")

        def put(self, key: str, entry: CacheEntry) -> None:
            raise ConnectionError("table unreachable")

    snapshot = _market(FakeProvider("first", _parts()), shared=Broken()).load_snapshot("000001.SZ", AS_OF)

    assert not any(p["missing"] for p in snapshot.parts.values())


def test_weekend_as_of_resolves_and_caches_under_the_resolved_date() -> None:
    provider = FakeProvider("first", _parts())
    market = _market(provider)

    saturday = market.load_snapshot("000001.SZ", D(2021, 3, 6))
    friday = market.load_snapshot("000001.SZ", AS_OF)  # what the agents ask for

    assert saturday.as_of == friday.as_of == AS_OF
    assert set(provider.calls.values()) == {1}


def _in_threads(market: Market, spellings: list[str]) -> tuple[list[threading.Thread], dict]:
    results: dict = {}

    def load(spelling: str) -> None:
        results[spelling] = market.load_snapshot(spelling, AS_OF)

    threads = [threading.Thread(target=load, args=(s,)) for s in spellings]
    for thread in threads:
        thread.start()
    return threads, results


def test_concurrent_analyses_of_one_symbol_fetch_each_part_once() -> None:
    # GIVEN a provider that holds every answer until the test lets it go
    provider = FakeProvider("first", _parts())
    provider.gate = threading.Event()
    market = _market(provider)

    # WHEN two analyses of the same stock and date (spelt two ways) start at once, on two threads
    threads, results = _in_threads(market, ["000001", "sz.000001"])
    wait_until(lambda: market.fetcher.flight.joined == len(PART_NAMES), 10, what="the second to join every part")
    provider.gate.set()
    for thread in threads:
        thread.join(10)

    # THEN each part was fetched once, and both got it
    one, two = results["000001"], results["sz.000001"]
    assert provider.calls == dict.fromkeys(PART_NAMES, 1)
    pd.testing.assert_frame_equal(one.bars, two.bars)
    assert one.parts == two.parts and one.parts["bars"]["source"] == "first"


def test_concurrent_sync_callers_on_threads_share_one_fetch() -> None:
    # The embedded runtime runs agents on threads of one process: they share the fetches in flight.
    provider = FakeProvider("first", _parts())
    provider.gate = threading.Event()
    market = _market(provider)

    threads, results = _in_threads(market, ["000001.SZ", "000001.sz", "sz000001"])
    wait_until(lambda: market.fetcher.flight.joined == 2 * len(PART_NAMES), 10, what="callers to join")
    provider.gate.set()
    for thread in threads:
        thread.join(10)

    assert len(results) == 3 and provider.calls == dict.fromkeys(PART_NAMES, 1)


def test_sequential_assembly_builds_the_same_snapshot() -> None:
    concurrent = _market(FakeProvider("first", _parts())).load_snapshot("000001.SZ", AS_OF)
    fetcher = PartFetcher([FakeProvider("first", _parts())], clock=Clock(T0))
    sequential = Market(fetcher, concurrent=False).load_snapshot("000001.SZ", AS_OF)

    assert sequential.parts == concurrent.parts
    pd.testing.assert_frame_equal(sequential.bars, concurrent.bars)


def test_stale_part_lowers_the_confidence_agents_compute() -> None:
    fresh = load_snapshot("600519.SH", D(2022, 10, 31))
    parts = {name: dict(part) for name, part in fresh.parts.items()}
    parts["bars"]["stale"] = True
    stale = dataclasses.replace(fresh, parts=parts)

    assert data_confidence(stale, ("bars",)) < data_confidence(fresh, ("bars",)) == 1.0


def test_market_layer_is_sync_and_runs_no_event_loop() -> None:
    # One paradigm (docs/performance.md): a snapshot through every provider's module needs no asyncio,
    # and its parts ran on the fetcher's workers, not on a loop thread.
    code = (
        "import sys, threading, datetime as dt; "
        "import investmind.market.providers.akshare, investmind.market.providers.tushare; "
        "from investmind.market import load_snapshot; "
        "load_snapshot('000858.SZ', dt.date(2022, 6, 1)); "
        "names = {t.name.rsplit('_', 1)[0] for t in threading.enumerate()}; "
        "assert 'asyncio' not in sys.modules, 'asyncio imported'; "
        "assert names == {'MainThread', 'market-io'}, names"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
