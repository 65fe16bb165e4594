"""A stand-in for the baostock module that answers recorded rows through the real client's ``ResultData``.

Recorded, not live (the network beyond package registries is closed here): each answer is built as
baostock returns it, strings in the order of the query's ``fields`` and ``""`` for a missing value,
from the bundled real data for the same stock and dates. The 2020-2025 daily rows are baostock's own
(``cn_daily_61_2020_2025.csv.gz`` read as text, so the very strings it sent); the ex-date factors are
the bundled running products (``cn_adj_events``); the index rows are the CSI 300 file with its volume
in shares, as baostock counts it; the report rows are the zvt reports re-expressed in baostock's
profit / growth / balance fields, public from their statutory deadline (zvt has no announcement
date); the industry rows carry the bundled Eastmoney boards where baostock would name a CSRC industry.
Only ``next()`` / ``get_row_data()`` of the real ``ResultData`` read them, as the provider does live.
"""

from __future__ import annotations

import functools

import pandas as pd
from baostock.data.resultset import ResultData

from investmind.market.bundled import DATA_DIR
from investmind.market.bundled_store import store

from .fakes import Controls

NOT_LOGGED_IN = "10001001"


def answer(fields: list[str], rows: list[list[str]], error_code: str = "0", error_msg: str = "success") -> ResultData:
    result = ResultData()
    result.fields, result.data, result.error_code, result.error_msg = fields, rows, error_code, error_msg
    return result


def _text(value: object) -> str:
    return "" if pd.isna(value) else f"{value:.6f}" if isinstance(value, float) else str(value)


@functools.cache
def daily_rows() -> pd.DataFrame:
    """baostock's daily rows of the 61 stocks as it sent them (every cell the string it was)."""
    return pd.read_csv(DATA_DIR / "cn_daily_61_2020_2025.csv.gz", dtype=str, keep_default_na=False)


@functools.cache
def ex_dates() -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / "cn_adj_events_2020_2025.csv.gz", dtype=str)


def _symbol(code: str) -> str:
    market, digits = code.split(".")
    return f"{digits}.{market.upper()}"


class FakeBaostock(Controls):
    """``login`` and the ``query_*`` functions the provider calls, with baostock's documented fields."""

    def __init__(self) -> None:
        super().__init__()
        self.logins = 0
        self.session_expired = False
        self.login_error: str | None = None
        self.errors: dict[str, tuple[str, str]] = {}
        """query name → (error_code, error_msg) to answer instead of rows."""
        self.edits: dict[tuple[str, str, str], str] = {}
        """(code, date, field) → the string to send instead of the recorded one (e.g. ``""``)."""

    def login(self, user_id: str = "anonymous", password: str = "123456") -> ResultData:
        self.enter("login")
        self.logins += 1
        if self.login_error:
            return answer([], [], self.login_error, "login failed")
        self.session_expired = False
        return answer([], [])

    def _reply(self, name: str, names: list[str], frame: pd.DataFrame, **kwargs: object) -> ResultData:
        empty = self.enter(name, **kwargs)
        if self.session_expired:
            return answer([], [], NOT_LOGGED_IN, "用户未登录")
        if name in self.errors:
            return answer([], [], *self.errors[name])
        rows = [] if empty else [[_text(v) for v in row] for row in frame[names].itertuples(index=False)]
        return answer(names, rows)

    def query_history_k_data_plus(
        self, code: str, fields: str, start_date: str, end_date: str, frequency: str, adjustflag: str
    ) -> ResultData:
        names = fields.split(",")
        kwargs = dict(code=code, fields=fields, start_date=start_date, end_date=end_date, adjustflag=adjustflag)
        if code == "sh.000300":
            frame = _index_rows()
        else:
            frame = daily_rows()[daily_rows()["code"] == code].copy()
            for (edit_code, date, field), value in self.edits.items():
                if edit_code == code:
                    frame.loc[frame["date"] == date, field] = value
        frame = frame[(frame["date"] >= start_date) & (frame["date"] <= end_date)]
        return self._reply("query_history_k_data_plus", names, frame, **kwargs)

    def query_adjust_factor(self, code: str, start_date: str, end_date: str) -> ResultData:
        events = ex_dates()[ex_dates()["code"] == code]
        events = events[(events["date"] >= start_date) & (events["date"] <= end_date)]
        factor = events["adj_factor_hfq"].astype(float)
        frame = pd.DataFrame({
            "code": events["code"], "dividOperateDate": events["date"],
            "foreAdjustFactor": factor / factor.iloc[-1] if len(factor) else factor,
            "backAdjustFactor": factor, "adjustFactor": factor,
        })  # fmt: skip
        fields = ["code", "dividOperateDate", "foreAdjustFactor", "backAdjustFactor", "adjustFactor"]
        return self._reply("query_adjust_factor", fields, frame, code=code, start_date=start_date)

    def _report(self, name: str, fields: dict[str, str | None], code: str, year: int, quarter: int) -> ResultData:
        reports = store().fundamentals.get(_symbol(code))
        period_end = pd.Timestamp(year, quarter * 3, 1) + pd.offsets.MonthEnd(0)
        frame = pd.DataFrame(columns=["code", "pubDate", "statDate", *fields])
        if reports is not None and period_end in reports.index:
            row = reports.loc[period_end]
            values = {"code": code, "pubDate": row["published_by"].date().isoformat()}
            values["statDate"] = period_end.date().isoformat()
            values.update({source: row[column] if column else "" for source, column in fields.items()})
            frame = pd.DataFrame([values])
        return self._reply(name, ["code", "pubDate", "statDate", *fields], frame, code=code, year=year, quarter=quarter)

    def query_profit_data(self, code: str, year: int, quarter: int) -> ResultData:
        fields = {
            "roeAvg": "roe",
            "npMargin": "net_margin",
            "gpMargin": "gross_profit_margin",
            "netProfit": "net_profit",
        }
        fields |= {"epsTTM": None, "MBRevenue": None, "totalShare": None, "liqaShare": None}
        return self._report("query_profit_data", fields, code, year, quarter)

    def query_growth_data(self, code: str, year: int, quarter: int) -> ResultData:
        fields = {"YOYEquity": None, "YOYAsset": None, "YOYNI": "net_profit_growth_yoy", "YOYEPSBasic": None}
        fields["YOYPNI"] = None
        return self._report("query_growth_data", fields, code, year, quarter)

    def query_balance_data(self, code: str, year: int, quarter: int) -> ResultData:
        fields = {"currentRatio": "current_ratio", "quickRatio": "quick_ratio", "cashRatio": None, "YOYLiability": None}
        fields |= {"liabilityToAsset": "debt_asset_ratio", "assetToEquity": None}
        return self._report("query_balance_data", fields, code, year, quarter)

    def query_stock_industry(self, code: str = "", date: str = "") -> ResultData:
        members = pd.read_csv(DATA_DIR / "selection_61.csv.gz", dtype=str)
        frame = pd.DataFrame({
            "updateDate": "2024-01-02", "code": members["code"], "code_name": members["name"],
            "industry": members["industry_em"], "industryClassification": "东方财富行业板块（代录）",
        })  # fmt: skip
        if code:
            frame = frame[frame["code"] == code]
        fields = ["updateDate", "code", "code_name", "industry", "industryClassification"]
        return self._reply("query_stock_industry", fields, frame, code=code, date=date)

    def query_hs300_stocks(self, date: str = "") -> ResultData:
        members = pd.read_csv(DATA_DIR / "cn_index_members_2024-01.csv.gz", dtype=str)
        codes = members.loc[members["index_name"] == "沪深300", "code"]
        frame = pd.DataFrame({"updateDate": "2024-01-02", "code": codes, "code_name": ""})
        return self._reply("query_hs300_stocks", ["updateDate", "code", "code_name"], frame, date=date)

    def query_stock_basic(self, code: str = "", code_name: str = "") -> ResultData:
        members = pd.read_csv(DATA_DIR / "selection_61.csv.gz", dtype=str)
        frame = pd.DataFrame({"code": members["code"], "code_name": members["name"], "ipoDate": "", "outDate": ""})
        frame = frame.assign(type="1", status="1")
        frame = frame[frame["code"] == code] if code else frame
        fields = ["code", "code_name", "ipoDate", "outDate", "type", "status"]
        return self._reply("query_stock_basic", fields, frame, code=code)

    def query_money_supply_data_month(self, start_date: str = "", end_date: str = "") -> ResultData:
        money = pd.read_csv(DATA_DIR / "macro" / "money_supply.csv.gz", dtype={"date": str})
        money = money[(money["date"].str[:7] >= start_date) & (money["date"].str[:7] <= end_date)]
        frame = pd.DataFrame({
            "statYear": money["date"].str[:4], "statMonth": money["date"].str[5:7].str.lstrip("0"),
            "m0Month": "", "m0YOY": "", "m0ChainRelative": "", "m1Month": money["m1_level"], "m1YOY": money["m1_yoy"],
            "m1ChainRelative": "", "m2Month": money["m2_level"], "m2YOY": money["m2_yoy"], "m2ChainRelative": "",
        })  # fmt: skip
        fields = list(frame.columns)
        return self._reply("query_money_supply_data_month", fields, frame, start_date=start_date, end_date=end_date)


@functools.cache
def _index_rows() -> pd.DataFrame:
    index = pd.read_csv(DATA_DIR / "csi300_daily_2020_2025.csv.gz", dtype={"date": str})
    close = index["close"]
    return pd.DataFrame({
        "date": index["date"], "code": "sh.000300", "open": index["open"], "high": index["high"],
        "low": index["low"], "close": close, "preclose": close.shift(), "volume": index["volume"] * 100,
        "amount": index["amount"], "pctChg": (close / close.shift() - 1) * 100,
    })  # fmt: skip
