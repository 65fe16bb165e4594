"""Network providers behind ``MarketDataProvider``: akshare, tushare and baostock, each imported only when used."""
