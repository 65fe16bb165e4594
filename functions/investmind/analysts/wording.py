"""The words the quant core writes, in English or Chinese: one template per sentence, both languages side by side.

A ``Text`` holds a sentence's English and Chinese with the same ``str.format`` fields; the caller
computes the values once (numbers are formatted alike in both, labels through ``label``) and gets
the sentence in the language of the run (``LANGUAGE``, set by ``analysts.analyze`` from
``INVESTMIND_LLM_LANGUAGE``). Notes stored in English in the signals (the risk caps, for instance)
are rendered in the run's language by ``localize``, which reads them back through their template.

Signal values go through ``label`` in a narrative (``neutral`` written ``balanced``) and through ``term``
in a body (the stored value itself in English, so the English bodies read as before). Each analyst's
body and evidence templates sit in a sibling ``texts_<role>.py``: the analyst modules stay a page of
computation each, and every Chinese sentence can be read next to its English.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from ..models import Stance

LANGUAGES = ("en", "zh")
LANGUAGE: ContextVar[str] = ContextVar("investmind_narrative_language", default="en")
"""The language of the text being written (set by ``analysts.analyze``)."""
STANCE_WORD = {
    "en": {Stance.bullish: "bullish", Stance.neutral: "neutral", Stance.bearish: "bearish"},
    "zh": {Stance.bullish: "看多", Stance.neutral: "中性", Stance.bearish: "看空"},
}
ZH = {
    # macro
    "bull": "多头",
    "range": "震荡",
    "bear": "空头",
    "loose": "宽松",
    "tight": "偏紧",
    "balanced": "平稳",
    "expanding": "扩张",
    "stable": "持平",
    "contracting": "收缩",
    "deflationary": "通缩压力",
    "moderate": "温和",
    "inflationary": "通胀压力",
    # industry
    "leading": "领先",
    "in line": "持平",
    "lagging": "落后",
    "in favour": "受资金青睐",
    "out of favour": "不受青睐",
    "unclassified": "未分类",
    # technical, funds
    "up": "上行",
    "down": "下行",
    "sideways": "横盘",
    "strong": "强",
    "weak": "弱",
    "overbought": "超买",
    "oversold": "超卖",
    "mid-range": "中间区域",
    "positive": "为正",
    "negative": "为负",
    "accumulate": "吸筹",
    "wait": "观望",
    "distribute": "派发",
    # fundamental
    "cheap": "便宜",
    "fair": "合理",
    "expensive": "偏贵",
    "high": "高",
    "average": "中等",
    "low": "低",
    "growing": "增长",
    "flat": "持平",
    "shrinking": "下滑",
    # directors, risk
    "improving": "改善",
    "deteriorating": "转弱",
    "elevated": "偏高",
    "medium": "中等",
    "normal": "正常",
    "n/a": "无数据",
}


NOT_AVAILABLE = "无数据"
"""What a Chinese sentence writes for a value that is ``n/a`` (missing) in the English."""


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """What is written inside is in ``language`` (``en`` or ``zh``); a ``ValueError`` names any other."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown narrative language {language!r} (choose from {', '.join(LANGUAGES)})")
    token = LANGUAGE.set(language)
    try:
        yield
    finally:
        LANGUAGE.reset(token)


def language() -> str:
    return LANGUAGE.get()


def word(stance: Stance) -> str:
    return STANCE_WORD[language()][stance]


def label(value: str) -> str:
    """A signal label as the text writes it (``neutral`` sub-labels become ``balanced``)."""
    value = "balanced" if value == "neutral" else value
    return ZH.get(value, value) if language() == "zh" else value


def term(value: str, words: Mapping[str, str] | None = None) -> str:
    """A signal value as a body writes it: as stored in English; in Chinese from ``words``, then ``ZH``.

    Unlike ``label`` the English is the value itself (a body prints ``neutral`` where a narrative
    writes ``balanced``), so the English bodies read as they always have.
    """
    if language() != "zh":
        return value
    if words and value in words:
        return words[value]
    return ZH.get("balanced" if value == "neutral" else value, value)


def join(*sentences: str | None) -> str:
    """Sentences one after another: a space between them in English, none in Chinese."""
    return (" " if language() == "en" else "").join(s for s in sentences if s)


def listing(items: Iterable[str]) -> str:
    """``a, b, c`` in English, ``a、b、c`` in Chinese."""
    return (", " if language() == "en" else "、").join(items)


@dataclass(frozen=True, slots=True)
class Text:
    """One sentence (or clause) in both languages, with the same ``{field}`` names in each."""

    en: str
    zh: str

    def __call__(self, **values: object) -> str:
        """The sentence in the run's language, its fields filled from ``values``."""
        if language() != "zh":
            return self.en.format(**values)
        return self.zh.format(**{k: NOT_AVAILABLE if v == "n/a" else v for k, v in values.items()})

    def english(self, **values: object) -> str:
        """The English whatever the run's language (for notes the signals store)."""
        return self.en.format(**values)

    def read(self, english: str) -> dict[str, str] | None:
        """The field values of ``english`` if it is this template's English, else None."""
        pattern = ""
        for literal, field, _, _ in string.Formatter().parse(self.en):
            pattern += re.escape(literal) + (f"(?P<{field}>.+?)" if field else "")
        match = re.fullmatch(pattern, english)
        return match.groupdict() if match else None


def localize(english: str, templates: Iterable[Text]) -> str:
    """``english`` (written by one of ``templates``) in the run's language; unchanged if none wrote it."""
    for template in templates:
        values = template.read(english)
        if values is not None:
            return template(**values)
    return english
