"""The shared part cache on DynamoDB (moto), the token from SSM, and markets built from settings."""

from __future__ import annotations

import datetime as dt
import time

import pandas as pd
import pytest

from investmind.adapters import aws
from investmind.adapters.market_cache import DynamoPartCache
from investmind.adapters.secrets import read_secret
from investmind.composition import market as composition
from investmind.market.bundled import BundledProvider
from investmind.market.cache import CacheEntry
from investmind.market.factory import MarketConfig, build_market, config_from
from investmind.settings import get_settings

from .market.fake_libraries import FakeAkshare

D = dt.date


@pytest.fixture
def cache_table(aws_tables: dict[str, str]) -> str:
    return aws_tables["MarketCacheTable"]


def _bars() -> pd.DataFrame:
    return BundledProvider().daily_bars("000001.SZ", D(2023, 12, 11))


def test_cache_put_get_round_trips_exactly(cache_table: str) -> None:
    cache = DynamoPartCache(cache_table, aws.client("dynamodb"))
    bars = _bars()
    now = time.time()

    cache.put("k|bars|000001.SZ|2023-12-11", CacheEntry(bars, "bundled", now))
    entry = cache.get("k|bars|000001.SZ|2023-12-11")

    assert (entry.source, entry.fetched_at) == ("bundled", now)
    pd.testing.assert_frame_equal(entry.value, bars, check_exact=True, check_freq=False)
    item = aws.client("dynamodb").get_item(
        TableName=cache_table, Key={"cache_key": {"S": "k|bars|000001.SZ|2023-12-11"}}
    )
    assert int(item["Item"]["expires_at"]["N"]) == int(now + 7 * 86400)  # the table's TTL attribute


def test_cache_miss_is_none(cache_table: str) -> None:
    assert DynamoPartCache(cache_table, aws.client("dynamodb")).get("nothing") is None


def test_cache_large_part_split_into_items_under_the_limit(cache_table: str) -> None:
    # GIVEN a part larger than one item may hold (a small limit stands in for 400 KB)
    client = aws.client("dynamodb")
    cache = DynamoPartCache(cache_table, client, chunk_bytes=20_000)
    bars = _bars()

    # WHEN it is cached and read back
    cache.put("big", CacheEntry(bars, "bundled", time.time()))
    entry = cache.get("big")

    # THEN it is stored in several items, none over the limit, and comes back whole
    items = client.scan(TableName=cache_table)["Items"]
    chunks = [i for i in items if i["cache_key"]["S"].startswith("big#chunk#")]
    assert len(chunks) > 1 and all(len(i["body"]["B"]) <= 20_000 for i in chunks)
    pd.testing.assert_frame_equal(entry.value, bars, check_exact=True, check_freq=False)
    # AND a lost chunk makes the copy a miss, never a truncated part
    client.delete_item(TableName=cache_table, Key={"cache_key": chunks[0]["cache_key"]})
    assert cache.get("big") is None


def test_cache_expired_item_is_a_miss_before_dynamodb_deletes_it(cache_table: str) -> None:
    cache = DynamoPartCache(cache_table, aws.client("dynamodb"), keep_s=60)

    cache.put("old", CacheEntry(_bars(), "bundled", time.time() - 120))

    assert cache.get("old") is None


def test_cache_keeps_the_newest_copy_when_writers_race(cache_table: str) -> None:
    cache = DynamoPartCache(cache_table, aws.client("dynamodb"))
    now = time.time()

    cache.put("race", CacheEntry(_bars().iloc[:10], "akshare", now))
    cache.put("race", CacheEntry(_bars().iloc[:5], "tushare", now - 30))  # a slower, older fetch

    entry = cache.get("race")
    assert (entry.source, len(entry.value)) == ("akshare", 10)


def test_two_processes_share_one_fetch_through_the_table(cache_table: str, monkeypatch) -> None:
    # GIVEN two processes (two markets, as PrepareFunction and an agent Lambda) on the same table
    monkeypatch.setenv("INVESTMIND_DATA_PROVIDERS", "akshare,bundled")
    monkeypatch.setenv("INVESTMIND_MARKET_CACHE_TABLE", cache_table)
    get_settings.cache_clear()
    settings = get_settings()
    config = config_from(settings)
    prepare_ak, agent_ak = FakeAkshare(), FakeAkshare()
    table = settings.market_cache_table
    prepare = build_market(
        config, cache=DynamoPartCache(table, aws.client("dynamodb")), modules={"akshare": prepare_ak}
    )
    agent = build_market(config, cache=DynamoPartCache(table, aws.client("dynamodb")), modules={"akshare": agent_ak})

    # WHEN the first assembles a snapshot and the second asks for the same stock and date
    first = prepare.load_snapshot("600519.SH", D(2021, 3, 1))
    second = agent.load_snapshot("600519", D(2021, 3, 1))

    # THEN the second asked akshare only for what no provider had (a missing part is not cached),
    # and read the other parts, from the same sources
    assert prepare_ak.called("stock_zh_a_hist") >= 1
    assert [name for name, _ in agent_ak.calls] == ["stock_financial_analysis_indicator"]
    assert first.missing("fundamentals") and second.missing("fundamentals")
    assert {n: p["source"] for n, p in second.parts.items()} == {n: p["source"] for n, p in first.parts.items()}
    assert first.parts["bars"]["source"] == "akshare" and first.parts["universe"]["source"] == "bundled"
    pd.testing.assert_frame_equal(second.bars, first.bars, check_freq=False)


def test_bundled_only_chain_uses_no_shared_cache(cache_table: str) -> None:
    market = build_market(
        MarketConfig(providers=("bundled",)), cache=DynamoPartCache(cache_table, aws.client("dynamodb"))
    )

    market.load_snapshot("600519.SH", D(2021, 3, 1))

    assert market.fetcher.shared is None
    # Keys start with the chain: none of this chain's (an earlier test's late write may carry its own).
    keys = [item["cache_key"]["S"] for item in aws.client("dynamodb").scan(TableName=cache_table)["Items"]]
    assert [key for key in keys if key.startswith("bundled|")] == []


def test_lambda_market_from_settings_is_built_once_and_shares_parts_through_the_table(cache_table, monkeypatch) -> None:
    # GIVEN a deployment whose chain starts with a remote provider, not installed here (so the chain
    # goes on to the bundled data, and the shared cache is in use)
    try:
        import akshare  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("akshare is installed here: the chain would go to the network")
    monkeypatch.setenv("INVESTMIND_DATA_PROVIDERS", "akshare,bundled")
    monkeypatch.setenv("INVESTMIND_MARKET_CACHE_TABLE", cache_table)
    get_settings.cache_clear()
    composition._market.cache_clear()
    try:
        # WHEN a handler's loader assembles a snapshot, and another invocation asks for its loader
        load = composition.loader(get_settings())
        snapshot = load("600519.SH", D(2021, 3, 1))
        again = composition.loader(get_settings())
    finally:
        composition._market.cache_clear()  # the market holds this test's moto client

    # THEN the process has one market, the chain fell back with its reason, and the parts are shared
    assert again.__self__ is load.__self__
    assert snapshot.parts["bars"]["source"] == "bundled"
    assert "akshare is not installed" in snapshot.parts["bars"]["note"]
    keys = {i["cache_key"]["S"] for i in aws.client("dynamodb").scan(TableName=cache_table)["Items"]}
    assert "akshare,bundled|bars|600519.SH|2021-03-01" in keys


def test_settings_reject_an_unknown_provider(monkeypatch) -> None:
    monkeypatch.setenv("INVESTMIND_DATA_PROVIDERS", "bundled,yahoo")
    get_settings.cache_clear()

    with pytest.raises(ValueError, match="list some of bundled, akshare, tushare"):
        get_settings()


def test_read_secret_from_ssm_and_secrets_manager(aws_tables) -> None:
    aws.client("ssm").put_parameter(Name="investmind-tushare-token", Value="t0ken-ssm", Type="SecureString")
    arn = aws.client("secretsmanager").create_secret(Name="tushare", SecretString="t0ken-sm")["ARN"]

    assert read_secret("investmind-tushare-token", aws.client) == "t0ken-ssm"
    assert read_secret(arn, aws.client) == "t0ken-sm"
    assert read_secret("secretsmanager:tushare", aws.client) == "t0ken-sm"
    with pytest.raises(LookupError, match="no SSM parameter 'absent'"):
        read_secret("absent", aws.client)
    with pytest.raises(LookupError, match="no secret 'absent'"):
        read_secret("secretsmanager:absent", aws.client)
