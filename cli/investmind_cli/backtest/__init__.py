"""``investmind backtest``: the walk-forward backtest of the pipeline's decisions on the bundled data.

``engine`` runs the real pipeline at each rebalance date, ``forward`` scores each decision by what
came after it, ``stats`` and ``measures`` turn the rows into figures with block-bootstrap intervals,
``report`` writes ``docs/backtest.md`` and its pictures, ``command`` is the CLI subcommand.
"""
