"""GET /v1/analyses/{id}/bars (the bars an analysis read) and GET /v1/symbols (the catalogue), on the bundled data."""

from __future__ import annotations

import datetime as dt

import pytest

from investmind.analysts import analyze
from investmind.api.deps import get_catalog
from investmind.market import catalog, load_snapshot
from investmind.models import EventDraft, EventType
from investmind.roster import STAGE1_IDS

pytestmark = pytest.mark.anyio


def _started(world, task_id: str, symbol: str, as_of: str) -> None:
    world.log.append(task_id, [EventDraft(type=EventType.task_started, data={"symbol": symbol, "as_of": as_of})])


async def test_bars_are_the_snapshot_window_ending_at_the_resolved_date_with_the_technical_smas(world, client):
    task = world.new_task(symbol="601318.SH")
    _started(world, task.task_id, "601318.SH", "2019-06-14")

    response = await client.get(f"/v1/analyses/{task.task_id}/bars", params={"limit": 130})

    assert response.status_code == 200, response.text
    page = response.json()
    bars = page["bars"]
    assert (page["symbol"], page["name"], page["as_of"]) == ("601318.SH", "中国平安", "2019-06-14")
    assert page["price_basis"] in ("traded", "adjusted")
    assert len(bars) == 130 and bars[-1]["date"] == "2019-06-14"
    assert [b["date"] for b in bars] == sorted(b["date"] for b in bars)
    assert page["source"]["source"] == "bundled" and page["source"]["missing"] is False
    snapshot = load_snapshot("601318.SH", dt.date(2019, 6, 14))
    assert bars[-1]["close"] == pytest.approx(
        float(snapshot.bars["close"].iloc[-1])
    )  # adjusted back to the as-of close
    technical = analyze("technical", snapshot, {}, STAGE1_IDS).metrics
    for window in (20, 60, 120):
        assert bars[-1][f"sma{window}"] == pytest.approx(technical[f"sma{window}"], abs=1e-3)
    eps = 1e-6  # adjusted prices are products of floats
    assert all(
        b["low"] - eps <= min(b["open"], b["close"]) <= max(b["open"], b["close"]) <= b["high"] + eps for b in bars
    )


async def test_bars_leave_the_smas_empty_where_the_history_is_too_short(world, client):
    info = max(catalog().values(), key=lambda entry: entry.first)  # the stock whose data starts last
    first = load_snapshot(info.symbol, dt.date.fromisoformat(info.first) + dt.timedelta(days=120)).bars.index
    as_of = first[69].date()  # its 70th session: SMA 20 and 60 exist, SMA 120 not yet
    task = world.new_task(symbol=info.symbol)
    _started(world, task.task_id, info.symbol, as_of.isoformat())

    bars = (await client.get(f"/v1/analyses/{task.task_id}/bars")).json()["bars"]

    assert bars[0]["date"] == info.first and bars[-1]["date"] == as_of.isoformat() and len(bars) == 70
    assert bars[-1]["sma60"] is not None and bars[-1]["sma120"] is None
    assert all(b["sma20"] is None for b in bars[:19]) and bars[19]["sma20"] is not None


async def test_bars_before_the_analysis_resolved_its_data_are_a_conflict(world, client, expect_error):
    task = world.new_task()

    error = expect_error(await client.get(f"/v1/analyses/{task.task_id}/bars"), 409, "conflict")

    assert error["details"] == {"status": "QUEUED"}


async def test_bars_of_another_callers_analysis_are_not_found(world, client, expect_error):
    task = world.new_task(owner="someone-else")
    _started(world, task.task_id, "600519.SH", "2021-02-10")

    expect_error(await client.get(f"/v1/analyses/{task.task_id}/bars"), 404, "not_found")


@pytest.mark.parametrize("limit", [0, 1501, "x"])
async def test_bars_reject_a_bad_limit(world, client, expect_error, limit):
    task = world.new_task()
    _started(world, task.task_id, "600519.SH", "2021-02-10")

    expect_error(
        await client.get(f"/v1/analyses/{task.task_id}/bars", params={"limit": limit}), 422, "validation_error"
    )


async def test_symbols_lists_the_catalogue_with_names_and_date_ranges(world, client):
    del world.app.dependency_overrides[get_catalog]  # the real catalogue, from the settings' (bundled) chain

    body = (await client.get("/v1/symbols")).json()

    by_symbol = {item["symbol"]: item for item in body["items"]}
    assert body["open"] is False
    assert set(by_symbol) == set(catalog())
    for symbol, info in catalog().items():
        assert by_symbol[symbol] == {"symbol": symbol, "name": info.name, "industry": info.industry,
                                     "first": info.first, "last": info.last}  # fmt: skip
    assert by_symbol["600519.SH"]["name"] == "贵州茅台"
    assert [item["symbol"] for item in body["items"]] == sorted(by_symbol)


async def test_symbols_say_open_when_a_network_provider_is_in_the_chain(world, client):
    del world.app.dependency_overrides[get_catalog]
    world.configure(data_providers="akshare,bundled")

    body = (await client.get("/v1/symbols")).json()

    assert body["open"] is True and "600519.SH" in {item["symbol"] for item in body["items"]}


async def test_bars_are_private_cacheable_and_revalidate_to_not_modified(world, client):
    task = world.new_task(symbol="600519.SH")
    _started(world, task.task_id, "600519.SH", "2021-03-05")
    url = f"/v1/analyses/{task.task_id}/bars"

    first = await client.get(url, params={"limit": 60})
    again = await client.get(url, params={"limit": 60}, headers={"If-None-Match": first.headers["etag"]})
    other_window = await client.get(url, params={"limit": 61}, headers={"If-None-Match": first.headers["etag"]})
    stale_tag = await client.get(url, params={"limit": 60}, headers={"If-None-Match": '"0123", W/"4567"'})

    assert first.status_code == 200 and first.headers["cache-control"].startswith("private, max-age=")
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == first.headers["etag"]
    assert other_window.status_code == 200 and other_window.headers["etag"] != first.headers["etag"]
    assert stale_tag.status_code == 200 and stale_tag.json() == first.json()
