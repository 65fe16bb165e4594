"""Cost of LLM usage from the price table in ``prices.json`` (plus configured overrides)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PRICES_PATH = Path(__file__).with_name("prices.json")
_REGION_PREFIXES = ("us.", "eu.", "apac.", "global.", "us-gov.", "jp.", "au.")
"""Bedrock cross-region inference profiles (``us.anthropic…``) cost what the model costs."""


@dataclass(frozen=True, slots=True)
class Price:
    input_per_mtok: float
    output_per_mtok: float

    def cost(self, tokens_in: int, tokens_out: int) -> float:
        return round((tokens_in * self.input_per_mtok + tokens_out * self.output_per_mtok) / 1_000_000, 8)


@cache
def _table(path: Path) -> dict[str, Price]:
    models = json.loads(path.read_text(encoding="utf-8"))["models"]
    return {model: Price(float(p["input"]), float(p["output"])) for model, p in models.items()}


def price_for(model: str, overrides: Iterable[tuple[str, float, float]] = (), path: Path = PRICES_PATH) -> Price | None:
    """The price of ``model``: an override first, then the table; None when neither knows it."""
    candidates = [model] + [model[len(p) :] for p in _REGION_PREFIXES if model.startswith(p)]
    for name, input_price, output_price in overrides:
        if name in candidates:
            return Price(input_price, output_price)
    table = _table(path)
    return next((table[name] for name in candidates if name in table), None)


def parse_overrides(text: str) -> tuple[tuple[str, float, float], ...]:
    """``{"model": {"input": 0.1, "output": 0.4}, ...}`` (the setting's JSON) as hashable tuples."""
    if not text.strip():
        return ()
    raw = json.loads(text)
    if not isinstance(raw, dict):
        raise ValueError("INVESTMIND_LLM_PRICES must be a JSON object of model -> {input, output}")
    return tuple(sorted((model, float(p["input"]), float(p["output"])) for model, p in raw.items()))
