"""Stand-ins for akshare and tushare, returning frames shaped as the real ones are.

The numbers come from the bundled real data (baostock bars and valuations, zvt reports, the CSI 300)
re-expressed in each library's documented columns and units: Eastmoney volumes in lots of 100
shares, tushare amounts in thousands of yuan, dates as ``YYYYMMDD`` strings newest first, and so on.
Each fake records its calls and can be told to fail, block or answer with an empty frame.
"""

from __future__ import annotations

import pandas as pd

from .fakes import Controls, baostock, between, csi300, zvt_reports

_EM_CODES = {"600519": "sh.600519", "000858": "sz.000858", "000001": "sz.000001", "300750": "sz.300750"}


class FakeAkshare(Controls):
    """The akshare functions the provider calls, as documented (Chinese column names, Eastmoney units)."""

    def stock_zh_a_hist(self, symbol: str, period: str, start_date: str, end_date: str, adjust: str) -> pd.DataFrame:
        columns = [
            "日期",
            "股票代码",
            "开盘",
            "收盘",
            "最高",
            "最低",
            "成交量",
            "成交额",
            "振幅",
            "涨跌幅",
            "涨跌额",
            "换手率",
        ]
        if self.enter("stock_zh_a_hist", symbol=symbol, start_date=start_date, end_date=end_date, adjust=adjust):
            return pd.DataFrame(columns=columns)
        if symbol not in _EM_CODES:
            return pd.DataFrame(columns=columns)
        rows = between(baostock(_EM_CODES[symbol]), start_date, end_date)
        return pd.DataFrame(
            {
                "日期": [d.date() for d in rows.index],
                "股票代码": symbol,
                "开盘": rows["open"].to_numpy(),
                "收盘": rows["close"].to_numpy(),
                "最高": rows["high"].to_numpy(),
                "最低": rows["low"].to_numpy(),
                "成交量": (rows["volume"] / 100).round().astype("int64").to_numpy(),  # lots, whole
                "成交额": rows["amount"].to_numpy(),
                "振幅": ((rows["high"] - rows["low"]) / rows["preclose"] * 100).round(2).to_numpy(),
                "涨跌幅": rows["pctChg"].round(2).to_numpy(),
                "涨跌额": (rows["close"] - rows["preclose"]).round(2).to_numpy(),
                "换手率": rows["turn"].round(2).to_numpy(),
            }
        )

    def stock_value_em(self, symbol: str) -> pd.DataFrame:
        columns = ["数据日期", "当日收盘价", "当日涨跌幅", "总市值", "流通市值", "总股本", "流通股本"]
        columns += ["PE(TTM)", "PE(静)", "市净率", "PEG值", "市现率", "市销率"]
        if self.enter("stock_value_em", symbol=symbol) or symbol not in _EM_CODES:
            return pd.DataFrame(columns=columns)
        rows = baostock(_EM_CODES[symbol])
        frame = pd.DataFrame({c: float("nan") for c in columns}, index=range(len(rows)))
        frame["数据日期"] = [d.date() for d in rows.index]
        frame["当日收盘价"] = rows["close"].to_numpy()
        frame["PE(TTM)"] = rows["peTTM"].to_numpy()
        frame["市净率"] = rows["pbMRQ"].to_numpy()
        frame["市销率"] = rows["psTTM"].to_numpy()
        frame["市现率"] = rows["pcfNcfTTM"].to_numpy()
        return frame[columns]

    def stock_financial_analysis_indicator(self, symbol: str, start_year: str) -> pd.DataFrame:
        if self.enter("stock_financial_analysis_indicator", symbol=symbol, start_year=start_year):
            return pd.DataFrame(columns=["日期"])
        reports = zvt_reports(symbol)
        reports = reports[reports.index.year >= int(start_year)]
        return pd.DataFrame(
            {
                "日期": [d.strftime("%Y-%m-%d") for d in reports.index],
                "摊薄每股收益(元)": reports["basic_eps"].to_numpy(),
                "加权每股收益(元)": reports["basic_eps"].to_numpy(),
                "每股净资产_调整前(元)": reports["bps"].to_numpy(),
                "每股经营性现金流(元)": reports["op_cash_flow_ps"].to_numpy(),
                "净资产收益率(%)": (reports["roe"] * 100).round(4).to_numpy(),
                "主营业务收入增长率(%)": (reports["op_income_growth_yoy"] * 100).round(4).to_numpy(),
                "净利润增长率(%)": (reports["net_profit_growth_yoy"] * 100).round(4).to_numpy(),
                "销售净利率(%)": (reports["net_margin"] * 100).round(4).to_numpy(),
                "资产负债率(%)": (reports["debt_asset_ratio"] * 100).round(4).to_numpy(),
                "流动比率": "--",  # Sina prints a dash where a bank has no such ratio
            }
        )

    def stock_zh_index_daily_em(self, symbol: str, start_date: str, end_date: str) -> pd.DataFrame:
        if self.enter("stock_zh_index_daily_em", symbol=symbol, start_date=start_date, end_date=end_date):
            return pd.DataFrame(columns=["date", "open", "close", "high", "low", "volume", "amount"])
        rows = between(csi300(), start_date, end_date)
        return rows.reset_index().assign(date=lambda f: f["date"].dt.strftime("%Y-%m-%d"))

    def stock_individual_info_em(self, symbol: str) -> pd.DataFrame:
        if self.enter("stock_individual_info_em", symbol=symbol):
            return pd.DataFrame(columns=["item", "value"])
        names = {"600519": ("贵州茅台", "酿酒行业"), "000858": ("五粮液", "酿酒行业"), "000001": ("平安银行", "银行")}
        name, industry = names.get(symbol, ("", ""))
        items = ["最新", "股票代码", "股票简称", "总股本", "流通股", "总市值", "流通市值", "行业", "上市时间"]
        values = [1500.0, symbol, name, 1256197800.0, 1256197800.0, 1.9e12, 1.9e12, industry, 20010827]
        return pd.DataFrame({"item": items, "value": values})

    def stock_board_industry_cons_em(self, symbol: str) -> pd.DataFrame:
        if self.enter("stock_board_industry_cons_em", symbol=symbol):
            return pd.DataFrame(columns=["序号", "代码", "名称", "成交额"])
        return pd.DataFrame(
            {
                "序号": [1, 2, 3],
                "代码": ["600519", "000858", "000568"],
                "名称": ["贵州茅台", "五粮液", "泸州老窖"],
                "最新价": [1500.0, 130.0, 120.0],
                "成交额": [5.0e9, 3.0e9, 2.0e9],
            }
        )

    def macro_china_shibor_all(self) -> pd.DataFrame:
        columns = ["日期", "O/N-定价", "O/N-涨跌幅", "1W-定价", "1W-涨跌幅", "2W-定价", "2W-涨跌幅"]
        columns += ["1M-定价", "1M-涨跌幅", "3M-定价", "3M-涨跌幅", "6M-定价", "6M-涨跌幅"]
        columns += ["9M-定价", "9M-涨跌幅", "1Y-定价", "1Y-涨跌幅"]
        if self.enter("macro_china_shibor_all"):
            return pd.DataFrame(columns=columns)
        days = pd.bdate_range("2020-01-02", "2020-03-31")
        frame = pd.DataFrame({c: 0.0 for c in columns[1:]}, index=range(len(days)))
        frame.insert(0, "日期", [d.date() for d in days])
        for tenor, level in (("O/N", 1.5), ("1W", 2.2), ("1M", 2.6), ("3M", 2.8), ("1Y", 3.0)):
            frame[f"{tenor}-定价"] = level
        return frame


class FakeTusharePro(Controls):
    """``tushare.pro_api(token)``'s client: documented fields, ``YYYYMMDD`` strings, newest row first."""

    def __init__(self, token: str = "") -> None:
        super().__init__()
        self.token = token

    def daily(self, ts_code: str, start_date: str, end_date: str) -> pd.DataFrame:
        if self.enter("daily", ts_code=ts_code, start_date=start_date, end_date=end_date):
            return pd.DataFrame(columns=["ts_code", "trade_date", "close"])
        frames = []
        for code in ts_code.split(","):
            rows = between(baostock(_baostock_code(code)), start_date, end_date) if _known(code) else None
            if rows is None or rows.empty:
                continue
            frames.append(
                pd.DataFrame(
                    {
                        "ts_code": code,
                        "trade_date": rows.index.strftime("%Y%m%d"),
                        "open": rows["open"].to_numpy(),
                        "high": rows["high"].to_numpy(),
                        "low": rows["low"].to_numpy(),
                        "close": rows["close"].to_numpy(),
                        "pre_close": rows["preclose"].to_numpy(),
                        "change": (rows["close"] - rows["preclose"]).round(2).to_numpy(),
                        "pct_chg": rows["pctChg"].round(4).to_numpy(),
                        "vol": (rows["volume"] / 100).to_numpy(),
                        "amount": (rows["amount"] / 1000).to_numpy(),
                    }
                )
            )
        out = pd.concat(frames) if frames else pd.DataFrame(columns=["ts_code", "trade_date", "close"])
        return out.iloc[::-1].reset_index(drop=True)

    def daily_basic(
        self, ts_code: str = "", start_date: str = "", end_date: str = "", fields: str = "", trade_date: str = ""
    ) -> pd.DataFrame:
        wanted = fields.split(",")
        if self.enter("daily_basic", ts_code=ts_code, start_date=start_date, end_date=end_date, fields=fields):
            return pd.DataFrame(columns=wanted)
        frames = []
        for code in ts_code.split(","):
            if not _known(code):
                continue
            rows = between(baostock(_baostock_code(code)), start_date, end_date)
            frame = pd.DataFrame(
                {
                    "ts_code": code,
                    "trade_date": rows.index.strftime("%Y%m%d"),
                    "close": rows["close"].to_numpy(),
                    "turnover_rate": rows["turn"].to_numpy(),
                    "pe_ttm": rows["peTTM"].to_numpy(),
                    "pb": rows["pbMRQ"].to_numpy(),
                    "ps_ttm": rows["psTTM"].to_numpy(),
                    "total_mv": (rows["close"] * {"600519.SH": 1.256e5, "000858.SZ": 3.88e5}.get(code, 1e5)).to_numpy(),
                }
            )
            frames.append(frame[wanted])
        out = pd.concat(frames) if frames else pd.DataFrame(columns=wanted)
        return out.iloc[::-1].reset_index(drop=True)

    def fina_indicator(self, ts_code: str, start_date: str, end_date: str) -> pd.DataFrame:
        if self.enter("fina_indicator", ts_code=ts_code, start_date=start_date, end_date=end_date):
            return pd.DataFrame(columns=["ts_code", "ann_date", "end_date"])
        reports = between(zvt_reports(ts_code.split(".")[0]), start_date, end_date)
        frame = pd.DataFrame(
            {
                "ts_code": ts_code,
                "ann_date": [(d + pd.Timedelta(days=25)).strftime("%Y%m%d") for d in reports.index],
                "end_date": reports.index.strftime("%Y%m%d"),
                "eps": reports["basic_eps"].to_numpy(),
                "bps": reports["bps"].to_numpy(),
                "roe": (reports["roe"] * 100).to_numpy(),
                "netprofit_margin": (reports["net_margin"] * 100).to_numpy(),
                "debt_to_assets": (reports["debt_asset_ratio"] * 100).to_numpy(),
                "netprofit_yoy": (reports["net_profit_growth_yoy"] * 100).to_numpy(),
                "or_yoy": (reports["op_income_growth_yoy"] * 100).to_numpy(),
                "update_flag": "1",
            }
        )
        return frame.iloc[::-1].reset_index(drop=True)

    def index_daily(self, ts_code: str, start_date: str, end_date: str) -> pd.DataFrame:
        if self.enter("index_daily", ts_code=ts_code, start_date=start_date, end_date=end_date):
            return pd.DataFrame(columns=["ts_code", "trade_date", "close"])
        rows = between(csi300(), start_date, end_date)
        frame = pd.DataFrame(
            {
                "ts_code": ts_code,
                "trade_date": rows.index.strftime("%Y%m%d"),
                "close": rows["close"].to_numpy(),
                "open": rows["open"].to_numpy(),
                "high": rows["high"].to_numpy(),
                "low": rows["low"].to_numpy(),
                "pre_close": rows["close"].shift().to_numpy(),
                "vol": rows["volume"].to_numpy(),  # Eastmoney and tushare both count an index in lots
                "amount": (rows["amount"] / 1000).to_numpy(),
            }
        )
        return frame.iloc[::-1].reset_index(drop=True)

    def stock_basic(self, ts_code: str = "", fields: str = "") -> pd.DataFrame:
        listed = pd.DataFrame(
            {
                "ts_code": ["600519.SH", "000858.SZ", "000568.SZ", "000001.SZ"],
                "name": ["贵州茅台", "五粮液", "泸州老窖", "平安银行"],
                "industry": ["白酒", "白酒", "白酒", "银行"],
            }
        )
        if self.enter("stock_basic", ts_code=ts_code, fields=fields):
            return listed.iloc[0:0]
        return listed[listed["ts_code"] == ts_code] if ts_code else listed

    def shibor(self, start_date: str, end_date: str) -> pd.DataFrame:
        if self.enter("shibor", start_date=start_date, end_date=end_date):
            return pd.DataFrame(columns=["date", "on", "1w"])
        days = pd.bdate_range(pd.Timestamp(start_date), pd.Timestamp(end_date))
        frame = pd.DataFrame({"date": days.strftime("%Y%m%d")})
        for tenor, level in (("on", 1.5), ("1w", 2.2), ("2w", 2.4), ("1m", 2.6), ("3m", 2.8), ("6m", 2.9)):
            frame[tenor] = level
        frame["9m"], frame["1y"] = 2.95, 3.0
        return frame.iloc[::-1].reset_index(drop=True)


def _known(ts_code: str) -> bool:
    return ts_code in ("600519.SH", "000858.SZ", "000001.SZ", "300750.SZ")


def _baostock_code(ts_code: str) -> str:
    code, market = ts_code.split(".")
    return f"{market.lower()}.{code}"
