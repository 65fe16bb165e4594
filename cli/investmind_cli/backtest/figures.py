"""The backtest report's two pictures (matplotlib, Agg backend: files only, no display)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # chosen before pyplot is imported: no display here, and none wanted on a server

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .engine import HELD_OUT, HORIZONS  # noqa: E402
from .measures import ACTIONS, Measures, actions  # noqa: E402

COLOURS = {"BUY": "tab:green", "HOLD": "tab:gray", "SELL": "tab:red"}


def cumulative_figure(measures: Measures, path: Path) -> None:
    frame = measures.cumulative()
    fig, ax = plt.subplots(figsize=(10, 5.5))
    for label in frame.columns:
        action = label.rsplit(": ", 1)[-1]
        baseline = not label.startswith("pipeline")
        colour = COLOURS.get(action, "black")
        ax.plot(frame.index, frame[label] * 100, label=label, color=colour, linestyle="--" if baseline else "-")
    ax.axvline(pd.Timestamp(HELD_OUT[0]), color="black", linewidth=0.8, linestyle=":")
    ax.text(pd.Timestamp(HELD_OUT[0]), ax.get_ylim()[1], " held out →", va="top", fontsize=9)
    ax.axhline(0, color="black", linewidth=0.5)
    ax.set_ylabel("cumulative excess return over the CSI 300 (% points)")
    ax.set_title("Excess return to the next rebalance date, by action, summed over time")
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def scatter_figure(measures: Measures, path: Path) -> None:
    rows = measures.rows
    fig, axes = plt.subplots(1, len(HORIZONS), figsize=(11, 4.8), sharey=False)
    action, score = actions(rows, "pipeline")
    held = (rows["period"] == "held-out").to_numpy()
    for ax, horizon in zip(np.atleast_1d(axes), HORIZONS, strict=True):
        excess = rows[f"excess_{horizon}"].to_numpy() * 100
        for name in ACTIONS:
            for subset, marker in ((~held, "o"), (held, "^")):
                chosen = (action == name) & subset
                ax.scatter(
                    score[chosen],
                    excess[chosen],
                    s=9,
                    alpha=0.5,
                    color=COLOURS[name],
                    marker=marker,
                    label=f"{name} ({'held out' if marker == '^' else 'in sample'})",
                )
        ax.axhline(0, color="black", linewidth=0.5)
        ax.set_xlabel("pipeline score")
        ax.set_ylabel(f"excess return over the CSI 300, next {horizon} sessions (%)")
    np.atleast_1d(axes)[0].legend(fontsize=7, loc="best")
    fig.suptitle("Score against forward excess return (one point per stock and rebalance date)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
