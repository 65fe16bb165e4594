"""Network providers behind ``MarketDataProvider``: akshare and tushare, each imported only when used."""
