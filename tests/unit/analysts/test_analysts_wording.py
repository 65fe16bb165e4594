"""The bilingual templates: both languages fill the same fields, and stored English notes read back."""

from __future__ import annotations

import string

import pytest

from investmind.analysts import (
    common,
    decision_text,
    narratives,
    synthesis,
    texts_directors,
    texts_fundamental,
    texts_funds,
    texts_industry,
    texts_macro,
    texts_risk,
    texts_technical,
)
from investmind.analysts.wording import LANGUAGE, Text, localize

TEMPLATES = [
    (module.__name__, name, value)
    for module in (
        narratives,
        decision_text,
        common,
        synthesis,
        texts_macro,
        texts_industry,
        texts_technical,
        texts_funds,
        texts_fundamental,
        texts_directors,
        texts_risk,
    )
    for name, value in vars(module).items()
    if isinstance(value, Text)
] + [(decision_text.__name__, f"NARRATIVE_SIZE[{k}]", v) for k, v in decision_text.NARRATIVE_SIZE.items()]


def _fields(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def test_there_are_templates_for_every_role() -> None:
    assert len(TEMPLATES) > 170


@pytest.mark.parametrize(("module", "name", "template"), TEMPLATES, ids=[f"{m}.{n}" for m, n, _ in TEMPLATES])
def test_both_languages_of_a_template_fill_the_same_fields(module, name, template) -> None:
    if template is not narratives.PERCENTILE:  # an ordinal in English, a number in Chinese
        assert _fields(template.en) == _fields(template.zh)
    assert template.en.strip() and template.zh.strip()


def test_a_stored_english_note_is_written_in_the_run_language() -> None:
    note = decision_text.STAND_IN.english(director="momentum_director", share="80%")
    token = LANGUAGE.set("zh")
    try:
        chinese = localize(note, decision_text.NOTES)
        unknown = localize("a note no template wrote", decision_text.NOTES)
    finally:
        LANGUAGE.reset(token)

    assert note == "momentum_director failed; its inputs stand in at 80% confidence"
    assert chinese == "momentum_director运行失败，以其输入的综合结果代替（置信度80%）"
    assert unknown == "a note no template wrote"  # left as it is rather than guessed
    assert localize(note, decision_text.NOTES) == note  # English runs keep the English


def test_read_recovers_the_fields_of_its_own_english_only() -> None:
    cap = Text("position capped at {cap}% for {who}", "仓位上限{cap}%（{who}）")

    assert cap.read("position capped at 15% for x.y") == {"cap": "15", "who": "x.y"}
    assert cap.read("position capped at 15%") is None


def test_a_core_conflict_kept_in_english_is_written_in_the_run_language() -> None:
    conflict, spread = synthesis.core_conflict({"technical": 42.0, "funds": -17.0, "macro": 3.0})
    token = LANGUAGE.set("zh")
    try:
        chinese = localize(conflict, [synthesis.CONFLICT])
    finally:
        LANGUAGE.reset(token)

    assert conflict == "technical positive (+42) vs funds negative (-17)" and spread == 59.0
    assert chinese == "technical为正（+42），funds为负（-17）"
